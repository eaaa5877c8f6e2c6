"""Settings read from the environment, with safe defaults for the embedded mode."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


class SettingsError(RuntimeError):
    """The environment asks for something the gateway refuses to start with."""


# A key anyone could guess ("changeme", "secret") would let them forge sessions and links.
MIN_SECRET_KEY_LENGTH = 32


def _default_var_dir() -> Path:
    return Path(os.environ.get("GATEWAY_VAR_DIR", "var")).resolve()


@dataclass(frozen=True)
class Settings:
    """Everything the host needs to know about its environment."""

    env: str = "development"
    database_url: str = ""
    broker_url: str = "memory://"
    # Where subscriptions' events fan out: memory:// (this process) or redis://…; empty means
    # the broker's Redis when BROKER_URL is redis://, else memory:// (see effective_pubsub_url).
    pubsub_url: str = ""
    email_url: str = ""
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    var_dir: Path = field(default_factory=_default_var_dir)
    plugins_file: Path = Path("plugins.toml")
    email_from: str = "Gateway <no-reply@gateway.local>"
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_page_size: int = 100
    # What a /graphql request may weigh: its body (413 beyond, before it is all read), its
    # query text, and its estimated cost (aliases x list sizes x depth, see schema.cost).
    max_body_bytes: int = 1024 * 1024
    max_query_length: int = 100_000
    max_cost: int = 50_000
    # The parsed and validated documents kept for reuse: at most this many, and this many
    # bytes of query text in all.
    document_cache_entries: int = 512
    document_cache_bytes: int = 8 * 1024 * 1024
    # /metrics: open in development; in production only with this bearer token, else off.
    metrics_token: str = ""
    # Entry-point plugins to load: None = all installed, else only these names (datasette's
    # DATASETTE_LOAD_PLUGINS); GATEWAY_LOAD_PLUGINS="" loads none.
    load_plugins: tuple[str, ...] | None = None
    # The proxies (addresses or CIDRs) whose X-Forwarded-For names the client: sign-in limits
    # count per client address, so behind a load balancer list it here (TRUSTED_PROXIES).
    trusted_proxies: tuple[str, ...] = ()

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def graphql_ide(self) -> bool:
        """The IDE and introspection are on in development, off in production."""
        return not self.production

    @property
    def metrics_open(self) -> bool:
        """/metrics without a token: development and tests only, and only when no token is set."""
        return not self.production and not self.metrics_token

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("memory://")

    @property
    def effective_pubsub_url(self) -> str:
        """PUBSUB_URL, else the broker's Redis (workers are other processes), else in-process."""
        if self.pubsub_url:
            return self.pubsub_url
        if self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return "memory://"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read the settings; a production start without SECRET_KEY is refused."""
        env = dict(os.environ if environ is None else environ)
        gateway_env = env.get("GATEWAY_ENV", "development")
        if gateway_env not in ("development", "production", "test"):
            raise SettingsError(
                f"GATEWAY_ENV must be development, production or test, not {gateway_env!r}"
            )
        var_dir = Path(env.get("GATEWAY_VAR_DIR", "var")).resolve()
        secret_key = env.get("SECRET_KEY", "")
        if not secret_key:
            if gateway_env == "production":
                raise SettingsError(
                    "SECRET_KEY is not set: a production gateway signs sessions and download "
                    "links with it. Set SECRET_KEY to a long random string "
                    "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
                )
            secret_key = _development_secret(var_dir)
        elif gateway_env == "production" and len(secret_key) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(
                f"SECRET_KEY is too short ({len(secret_key)} characters): a production gateway "
                f"needs at least {MIN_SECRET_KEY_LENGTH} random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        port = env.get("PORT", "8000")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"PORT must be a TCP port number (1-65535), not {port!r}")
        limits = {name: _positive(env, variable, getattr(cls, name))
                  for name, variable in LIMIT_VARIABLES.items()}
        return cls(
            env=gateway_env,
            database_url=env.get("DATABASE_URL") or f"sqlite://{var_dir / 'gateway.sqlite3'}",
            broker_url=env.get("BROKER_URL", "memory://"),
            pubsub_url=env.get("PUBSUB_URL", ""),
            email_url=env.get("EMAIL_URL") or f"file://{var_dir / 'outbox'}",
            secret_key=secret_key,
            public_url=env.get("PUBLIC_URL", "").rstrip("/")
            or f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '8000')}",
            host=env.get("HOST", "127.0.0.1"),
            port=int(port),
            var_dir=var_dir,
            plugins_file=Path(env.get("GATEWAY_PLUGINS_FILE", "plugins.toml")),
            email_from=env.get("EMAIL_FROM", "Gateway <no-reply@gateway.local>"),
            metrics_token=env.get("METRICS_TOKEN", "").strip(),
            **limits,
            load_plugins=None
            if "GATEWAY_LOAD_PLUGINS" not in env
            else tuple(n.strip() for n in env["GATEWAY_LOAD_PLUGINS"].split(",") if n.strip()),
            trusted_proxies=_networks(env, "TRUSTED_PROXIES"),
        )


# The GraphQL limits and the environment variables that change them.
LIMIT_VARIABLES = {
    "max_query_depth": "GRAPHQL_MAX_DEPTH",
    "max_aliases": "GRAPHQL_MAX_ALIASES",
    "max_tokens": "GRAPHQL_MAX_TOKENS",
    "max_page_size": "GRAPHQL_MAX_PAGE_SIZE",
    "max_body_bytes": "GRAPHQL_MAX_BODY_BYTES",
    "max_query_length": "GRAPHQL_MAX_QUERY_LENGTH",
    "max_cost": "GRAPHQL_MAX_COST",
    "document_cache_entries": "GRAPHQL_CACHE_ENTRIES",
    "document_cache_bytes": "GRAPHQL_CACHE_BYTES",
}


def _positive(env: dict[str, str], variable: str, default: int) -> int:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{variable} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _networks(env: dict[str, str], variable: str) -> tuple[str, ...]:
    """Comma-separated addresses or CIDRs (``10.0.0.0/8, 192.0.2.7``), each checked."""
    import ipaddress

    found: list[str] = []
    for item in (part.strip() for part in env.get(variable, "").split(",")):
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(f"{variable}: {item!r} is not an IP address or CIDR "
                                "(e.g. 10.0.0.0/8 or 192.0.2.7)") from None
    return tuple(found)


def _development_secret(var_dir: Path) -> str:
    """A per-checkout secret kept under var/, so development sessions survive restarts."""
    path = var_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        var_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        return value
