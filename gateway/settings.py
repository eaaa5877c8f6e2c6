"""Settings read from the environment, with safe defaults for the embedded mode."""

from __future__ import annotations

import os
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SettingsError(RuntimeError):
    """The environment asks for something the gateway refuses to start with: ``problems``
    holds one line per setting, naming it, what is wrong and an example of a right value."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


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
    log_level: str = "INFO"
    # Where the gateway's documentation is published, linked from GET / (DOCS_URL).
    docs_url: str = ""
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
    # Persisted queries (gateway.persisted_queries): off, auto (Apollo's automatic persisted
    # queries) or allowlist (only documents registered with `gateway persisted-queries add`).
    persisted_queries: str = "auto"
    # The automatically persisted documents kept (the oldest go first beyond it).
    persisted_queries_max: int = 10_000

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
        """Read the settings; every unusable value is refused at once, one line each (see
        :class:`SettingsError`), and a production start without SECRET_KEY too."""
        env = dict(os.environ if environ is None else environ)
        problems: list[str] = []
        gateway_env = env.get("GATEWAY_ENV", "development")
        if gateway_env not in ("development", "production", "test"):
            problems.append(problem(
                "GATEWAY_ENV", f"must be development, production or test, not {gateway_env!r}",
                "production"))
        var_dir = Path(env.get("GATEWAY_VAR_DIR", "var")).resolve()
        secret_key = env.get("SECRET_KEY", "")
        problems += _secret_key_problems(gateway_env, secret_key)
        port = env.get("PORT", "8000").strip()
        if not port.isdigit() or not 0 < int(port) < 65536:
            problems.append(problem("PORT", f"must be a TCP port number (1-65535), not {port!r}",
                                    "8080"))
            port = "8000"
        host = env.get("HOST", "127.0.0.1").strip()
        problems += _host_problems(host)
        public_url = env.get("PUBLIC_URL", "").strip().rstrip("/")
        if public_url:
            problems += _http_url_problems("PUBLIC_URL", public_url)
        docs_url = env.get("DOCS_URL", "").strip()
        if docs_url:
            problems += _http_url_problems("DOCS_URL", docs_url, query=True)
        database_url = (env.get("DATABASE_URL", "").strip()
                        or f"sqlite://{var_dir / 'gateway.sqlite3'}")
        problems += database_url_problems(database_url)
        broker_url = env.get("BROKER_URL", "").strip() or "memory://"
        problems += _queue_url_problems("BROKER_URL", broker_url, BROKER_SCHEMES,
                                        "redis://127.0.0.1:6379/0")
        pubsub_url = env.get("PUBSUB_URL", "").strip()
        if pubsub_url:
            problems += _queue_url_problems("PUBSUB_URL", pubsub_url, PUBSUB_SCHEMES,
                                            "redis://127.0.0.1:6379/1")
        email_url = env.get("EMAIL_URL", "").strip() or f"file://{var_dir / 'outbox'}"
        problems += email_url_problems(email_url)
        email_from = env.get("EMAIL_FROM", "").strip() or DEFAULT_EMAIL_FROM
        problems += _email_from_problems(email_from)
        metrics_token = env.get("METRICS_TOKEN", "").strip()
        if metrics_token and not re.fullmatch(r"[\x21-\x7e]+", metrics_token):
            problems.append(problem(
                "METRICS_TOKEN", "must be printable ASCII without spaces (it travels in an "
                "Authorization header)", "<the output of python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'>"))
        log_level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
        if log_level not in LOG_LEVELS:
            problems.append(problem("LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}, "
                                    f"not {env['LOG_LEVEL']!r}", "INFO"))
        limits = {name: _collect(problems, _positive, env, variable, getattr(cls, name))
                  for name, variable in LIMIT_VARIABLES.items()}
        trusted_proxies = _collect(problems, _networks, env, "TRUSTED_PROXIES") or ()
        plugins_file = env.get("GATEWAY_PLUGINS_FILE", "").strip() or "plugins.toml"
        persisted_queries = env.get("PERSISTED_QUERIES", "").strip().lower() or "auto"
        if persisted_queries not in ("off", "auto", "allowlist"):
            problems.append(problem("PERSISTED_QUERIES", "must be off, auto or allowlist, not "
                                    f"{env['PERSISTED_QUERIES']!r}", "allowlist"))
        if problems:
            raise SettingsError(problems)
        if not secret_key:
            secret_key = _development_secret(var_dir)
        return cls(
            env=gateway_env,
            database_url=database_url,
            broker_url=broker_url,
            pubsub_url=pubsub_url,
            email_url=email_url,
            secret_key=secret_key,
            public_url=public_url or f"http://{host}:{port}",
            host=host,
            port=int(port),
            var_dir=var_dir,
            plugins_file=Path(plugins_file),
            email_from=email_from,
            metrics_token=metrics_token,
            log_level=log_level,
            docs_url=docs_url,
            **limits,
            load_plugins=None
            if "GATEWAY_LOAD_PLUGINS" not in env
            else tuple(n.strip() for n in env["GATEWAY_LOAD_PLUGINS"].split(",") if n.strip()),
            trusted_proxies=trusted_proxies,
            persisted_queries=persisted_queries,
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
    "persisted_queries_max": "PERSISTED_QUERIES_MAX",
}

DEFAULT_EMAIL_FROM = "Gateway <no-reply@gateway.local>"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg")
BROKER_SCHEMES = ("memory", "redis", "rediss", "amqp", "amqps")
PUBSUB_SCHEMES = ("memory", "redis", "rediss")
DATABASE_EXAMPLE = ("sqlite:///srv/gateway/gateway.sqlite3 or "
                    "DATABASE_URL=postgres://gateway:secret@127.0.0.1:5432/gateway")


def plugins_file_problem(path: Path) -> str:
    """GATEWAY_PLUGINS_FILE names no file: never a gateway silently without its plugins."""
    where = path if path.is_absolute() else f"{path} (in {Path.cwd()})"
    return problem("GATEWAY_PLUGINS_FILE", f"names {where}, which does not exist; run the "
                   "gateway from its checkout (where plugins.toml is) or point at the file,",
                   "/etc/gateway/plugins.toml")


def _collect(problems: list[str], read: Any, *args: Any) -> Any:
    """``read(*args)``, or None with its problems added to ``problems``."""
    try:
        return read(*args)
    except SettingsError as exc:
        problems += exc.problems
        return None


def _secret_key_problems(gateway_env: str, secret_key: str) -> list[str]:
    if gateway_env != "production":
        return []
    make_one = "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
    if not secret_key:
        return ["SECRET_KEY is not set: a production gateway signs sessions and download "
                f"links with it; set it to a long random string, e.g. {make_one}"]
    if len(secret_key) < MIN_SECRET_KEY_LENGTH:
        return [f"SECRET_KEY is too short ({len(secret_key)} characters): a production gateway "
                f"needs at least {MIN_SECRET_KEY_LENGTH} random characters, e.g. {make_one}"]
    return []


def problem(variable: str, what: str, example: str) -> str:
    """One line an operator can act on: the setting, what is wrong, a right value."""
    return f"{variable} {what}; e.g. {variable}={example}"


def _host_problems(host: str) -> list[str]:
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return []
    except ValueError:
        pass
    if re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*", host):
        return []
    return [problem("HOST", f"must be an IP address or a host name to listen on, not {host!r}",
                    "0.0.0.0")]


def _http_url_problems(variable: str, url: str, *, query: bool = False) -> list[str]:
    example = "https://gateway.example.com" + ("/docs" if query else "")
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return [problem(variable, f"has a port that is not a number: {url!r}", example)]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [problem(variable, f"must be an http:// or https:// address, not {url!r}",
                        example)]
    if not query and (parts.query or parts.fragment):
        return [problem(variable, f"must not have a query or a fragment: {url!r}", example)]
    return []


def database_url_problems(url: str) -> list[str]:
    """What is wrong with a DATABASE_URL's shape (whether it answers is a start-up check)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in DATABASE_SCHEMES:
        return [problem("DATABASE_URL", f"must be a sqlite:// or postgres:// URL, not "
                        f"{redacted(url)!r}", DATABASE_EXAMPLE)]
    if scheme == "sqlite":
        if not rest:
            return [problem("DATABASE_URL", "sqlite:// needs the path of the database file",
                            DATABASE_EXAMPLE)]
        return []
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018
    except ValueError:
        return [problem("DATABASE_URL", f"has a port that is not a number: {redacted(url)!r}",
                        DATABASE_EXAMPLE)]
    if not parts.hostname:
        return [problem("DATABASE_URL", f"names no database server: {redacted(url)!r}",
                        DATABASE_EXAMPLE)]
    if not parts.path.strip("/"):
        return [problem("DATABASE_URL", f"names no database after the server: "
                        f"{redacted(url)!r}", DATABASE_EXAMPLE)]
    return []


def _queue_url_problems(variable: str, url: str, schemes: tuple[str, ...],
                        example: str) -> list[str]:
    scheme, sep, _ = url.partition("://")
    if not sep or scheme not in schemes:
        known = " or ".join(f"{s}://" for s in schemes)
        return [problem(variable, f"must be a {known} URL, not {redacted(url)!r}", example)]
    if scheme == "memory":
        return []
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018
    except ValueError:
        return [problem(variable, f"has a port that is not a number: {redacted(url)!r}",
                        example)]
    if not parts.hostname:
        return [problem(variable, f"names no server: {redacted(url)!r}", example)]
    if scheme.startswith("redis") and parts.path.strip("/") and \
            not parts.path.strip("/").isdigit():
        return [problem(variable, f"names Redis database {parts.path.strip('/')!r}: Redis "
                        "databases are numbers", example)]
    return []


def email_url_problems(url: str) -> list[str]:
    from gateway.email.transport import EmailTransportError, parse_email_url

    try:
        parse_email_url(url)
    except EmailTransportError as exc:
        what = str(exc).removeprefix("EMAIL_URL").lstrip(": ")
        return [problem("EMAIL_URL", f"is not usable: {what}",
                        "smtp://user:secret@smtp.example.com:587?starttls=1")]
    return []


def _email_from_problems(value: str) -> list[str]:
    from email.utils import parseaddr

    _, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain and domain != "localhost":
        return [problem("EMAIL_FROM", f"must be an email address, not {value!r}",
                        "'Gateway <no-reply@example.com>'")]
    return []


def redacted(url: str) -> str:
    """A URL as it may be printed: its password replaced."""
    parts = urllib.parse.urlsplit(url)
    try:
        password = parts.password
    except ValueError:
        password = None
    if password:
        return url.replace(f":{password}@", ":***@", 1)
    return url


def _positive(env: dict[str, str], variable: str, default: int) -> int:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError([problem(variable, f"must be a whole number of at least 1, not "
                                     f"{raw!r}", str(default))])
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
            raise SettingsError(f"{variable}: {item!r} is not an IP address or CIDR; e.g. "
                                f"{variable}=10.0.0.0/8,192.0.2.7") from None
    return tuple(found)


def _development_secret(var_dir: Path) -> str:
    """A per-checkout secret kept under var/, so development sessions survive restarts."""
    path = var_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SettingsError(_var_dir_problem(var_dir, exc)) from None
    value = secrets.token_urlsafe(48)
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(value)
    except OSError as exc:
        raise SettingsError(_var_dir_problem(var_dir, exc)) from None
    return value


def _var_dir_problem(var_dir: Path, exc: OSError) -> str:
    return problem("GATEWAY_VAR_DIR", f"{var_dir} cannot be written ({exc.strerror or exc})",
                   "/var/lib/gateway")
