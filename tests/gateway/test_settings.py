"""Settings from the environment: safe embedded defaults, and a production start refused when
it would be unsafe, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import MIN_SECRET_KEY_LENGTH, Settings, SettingsError
from tests.gateway.test_cli import gateway_env, run_gateway

GOOD_KEY = "k" * MIN_SECRET_KEY_LENGTH


def production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"GATEWAY_ENV": "production", "GATEWAY_VAR_DIR": str(tmp_path), **extra}


def test_production_without_a_secret_key_is_refused_saying_why(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(production(tmp_path))
    message = str(refused.value)
    assert "SECRET_KEY is not set" in message and "production" in message
    assert "secrets.token_urlsafe" in message  # how to make one
    assert not (tmp_path / "secret_key").exists()  # no development key made up instead


def test_production_with_a_guessable_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY is too short \\(8 characters\\)"):
        Settings.from_env(production(tmp_path, SECRET_KEY="changeme"))


def test_production_with_a_secret_key_turns_the_ide_off(tmp_path: Path) -> None:
    settings = Settings.from_env(production(tmp_path, SECRET_KEY=GOOD_KEY))
    assert settings.production and settings.secret_key == GOOD_KEY
    assert settings.graphql_ide is False


def test_development_makes_and_keeps_its_own_secret_key(tmp_path: Path) -> None:
    first = Settings.from_env({"GATEWAY_VAR_DIR": str(tmp_path)})
    again = Settings.from_env({"GATEWAY_VAR_DIR": str(tmp_path)})
    assert first.env == "development" and first.graphql_ide is True
    assert len(first.secret_key) >= MIN_SECRET_KEY_LENGTH
    assert again.secret_key == first.secret_key == (tmp_path / "secret_key").read_text().strip()
    # The embedded defaults: everything under var/, in-process broker, .eml files.
    assert first.database_url == f"sqlite://{tmp_path / 'gateway.sqlite3'}"
    assert first.broker_url == "memory://"
    assert first.email_url == f"file://{tmp_path / 'outbox'}"


def test_the_graphql_limits_come_from_the_environment(tmp_path: Path) -> None:
    default = Settings.from_env({"GATEWAY_VAR_DIR": str(tmp_path)})
    assert (default.max_query_depth, default.max_aliases, default.max_tokens,
            default.max_page_size) == (12, 30, 4000, 100)
    tuned = Settings.from_env({"GATEWAY_VAR_DIR": str(tmp_path), "GRAPHQL_MAX_DEPTH": "8",
                               "GRAPHQL_MAX_ALIASES": "10", "GRAPHQL_MAX_TOKENS": "2000",
                               "GRAPHQL_MAX_PAGE_SIZE": "500"})
    assert (tuned.max_query_depth, tuned.max_aliases, tuned.max_tokens,
            tuned.max_page_size) == (8, 10, 2000, 500)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"GATEWAY_ENV": "prod"}, "GATEWAY_ENV must be development, production or test"),
        ({"PORT": "http"}, "PORT must be a TCP port number"),
        ({"PORT": "70000"}, "PORT must be a TCP port number"),
        ({"GRAPHQL_MAX_DEPTH": "0"}, "GRAPHQL_MAX_DEPTH must be a whole number of at least 1"),
        ({"GRAPHQL_MAX_PAGE_SIZE": "lots"}, "GRAPHQL_MAX_PAGE_SIZE must be a whole number"),
    ],
)
def test_nonsense_settings_are_refused(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"GATEWAY_VAR_DIR": str(tmp_path), **environ})


def test_gateway_serve_refuses_production_without_a_secret_key(tmp_path: Path) -> None:
    # If it started, it would serve until the subprocess timeout and this test would fail.
    done = run_gateway("serve", "--port", "0",
                       env=gateway_env(tmp_path, GATEWAY_ENV="production"), expect=2)
    assert "SECRET_KEY is not set" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "var" / "gateway.sqlite3").exists()


def test_the_request_limits_and_the_metrics_token_come_from_the_environment(
    tmp_path: Path,
) -> None:
    defaults = Settings.from_env({"GATEWAY_VAR_DIR": str(tmp_path)})
    assert defaults.max_body_bytes == 1024 * 1024 and defaults.max_query_length == 100_000
    assert defaults.max_cost == 50_000
    assert (defaults.document_cache_entries, defaults.document_cache_bytes) == (512, 8 << 20)
    assert defaults.metrics_token == "" and defaults.metrics_open
    tuned = Settings.from_env({
        "GATEWAY_VAR_DIR": str(tmp_path), "GRAPHQL_MAX_BODY_BYTES": "2048",
        "GRAPHQL_MAX_QUERY_LENGTH": "500", "GRAPHQL_MAX_COST": "900",
        "GRAPHQL_CACHE_ENTRIES": "3", "GRAPHQL_CACHE_BYTES": "4096", "METRICS_TOKEN": " t0k ",
    })
    assert (tuned.max_body_bytes, tuned.max_query_length, tuned.max_cost) == (2048, 500, 900)
    assert (tuned.document_cache_entries, tuned.document_cache_bytes) == (3, 4096)
    assert tuned.metrics_token == "t0k" and not tuned.metrics_open
    production = Settings.from_env({"GATEWAY_VAR_DIR": str(tmp_path), "GATEWAY_ENV": "production",
                                    "SECRET_KEY": "k" * 40})
    assert not production.metrics_open
    with pytest.raises(SettingsError, match="GRAPHQL_MAX_BODY_BYTES must be a whole number"):
        Settings.from_env({"GATEWAY_VAR_DIR": str(tmp_path), "GRAPHQL_MAX_BODY_BYTES": "1MB"})
