"""Configuration from the environment (docs/configuration.md).

Every setting has a development default, so ``make run`` works with nothing
set; production refuses to start without what it cannot safely invent.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "production", "testing")
#: Sessions and CSRF tokens are signed with SECRET_KEY: anyone who guesses it can sign
#: in as anyone. 32 bytes leaves nothing to guess if they are random.
MIN_SECRET_KEY_BYTES = 32
SUPPORTED_DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
#: Seconds the mail worker waits for the SMTP server to connect or answer a command.
DEFAULT_MAIL_TIMEOUT = 60.0
#: The server's verdict on a message's text is waited for this many times as long: it
#: may scan the message first (RFC 5321, 4.5.3.2, suggests 10 minutes against 5).
MAIL_FINAL_REPLY_FACTOR = 10
#: Seconds a worker's claim keeps a message from other workers (``notifications.delivery``);
#: longer than one message can take, final reply included.
DEFAULT_MAIL_LEASE_SECONDS = 900.0
#: Who is responsible for the personal data (RODO), named at the foot of every email
#: (``registration.data_controller``): the coordinator's office unless configured.
#: Days after an event ends when its registrations' personal data are anonymised.
DEFAULT_RETENTION_DAYS = 730
#: How the service writes its log lines (``observability.logs``).
LOG_FORMATS = ("text", "json")
#: Seconds after which ``/readyz`` finds the mail worker silent, or a due message late.
DEFAULT_READY_MAIL_WORKER_MAX_AGE = 120
DEFAULT_READY_OUTBOX_MAX_AGE = 900
DEFAULT_DATA_CONTROLLER = {
    "DATA_CONTROLLER_NAME": "Strefa Kultury Wrocław",
    "DATA_CONTROLLER_ADDRESS": "ul. ks. Piotra Skargi 18a, 50-082 Wrocław",
    "DATA_CONTROLLER_EMAIL": "iod@strefakultury.pl",
}


class ConfigurationError(Exception):
    """The environment describes a service that cannot start; the message says why."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _integer(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from None


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):  # NaN is refused too
        raise ConfigurationError(f"{name} must be a positive number of seconds, not {value!r}")
    return seconds


def instance_folder() -> Path:
    """The folder for what the service makes as it runs: the SQLite database of the
    default ``DATABASE_URL``, the development ``SECRET_KEY``, mail written as ``.eml``.

    ``INSTANCE_PATH`` when set, else ``instance/`` in the current directory: the
    checkout's for ``make run`` and ``flask --app wsgi``, the service's working
    directory when it is installed from a wheel. (Flask's own default for an installed
    package, ``<venv>/var/registration-instance``, would keep the database inside the
    virtual environment, which a reinstall throws away.)
    """
    return Path(os.path.abspath(os.environ.get("INSTANCE_PATH", "").strip() or "instance"))


def _check_observability(config: dict) -> None:
    """Bring the settings of logs, readiness and metrics (read from the environment, or
    a test's overrides) to the types the service uses, refusing what makes no sense."""
    config["LOG_FORMAT"] = str(config["LOG_FORMAT"]).lower()
    if config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigurationError(
            f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {config['LOG_FORMAT']!r}"
        )
    networks = config["METRICS_NETWORKS"]
    if isinstance(networks, str):
        try:
            networks = tuple(
                ipaddress.ip_network(part, strict=False)
                for part in networks.replace(",", " ").split()
            )
        except ValueError as error:
            raise ConfigurationError(f"METRICS_NETWORKS cannot be used: {error}") from None
    config["METRICS_NETWORKS"] = tuple(networks)
    for name in ("READY_MAIL_WORKER_MAX_AGE", "READY_OUTBOX_MAX_AGE"):
        value = config[name]
        try:
            seconds = int(value)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"{name} must be a whole number of seconds, not {value!r}"
            ) from None
        if seconds < 0:
            raise ConfigurationError(f"{name} must not be negative")
        config[name] = seconds


def _organisation(instance_path: Path) -> dict:
    """What the operators are, as they describe themselves in ``ORGANISATION_FILE`` (TOML):
    the data controllers each city's events may name (``registration.data_controller``)
    and the changing parts of the accessibility statement. Each part checks its own
    table when the app starts. No file: an empty mapping, and every part's defaults.
    """
    path = os.environ.get("ORGANISATION_FILE", "").strip()
    if not path:
        default = instance_path / "organisation.toml"
        if not default.exists():
            return {}
        path = str(default)
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise ConfigurationError(
            f"ORGANISATION_FILE {path} cannot be read: {error.strerror}"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"ORGANISATION_FILE {path} is not valid TOML: {error}") from None


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance_path / 'registration.sqlite3'}"
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "postgresql":
        # psycopg 3 is the driver we install; plain postgresql:// would ask for psycopg2.
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if scheme == "postgres":
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ConfigurationError(
            f"DATABASE_URL has an unsupported scheme {scheme or url!r}: "
            "use sqlite:///path or postgresql+psycopg://user@host/name"
        )
    return url


def _secret_key(environment: str, instance_path: Path) -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if environment == "production":
        raise ConfigurationError(
            "SECRET_KEY is not set: production refuses to start without a fixed signing key"
        )
    if environment == "testing":
        return "testing-" + secrets.token_hex(16)
    # Development: invent one key and keep it, so sessions survive a restart.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load(instance_path: Path, overrides: dict | None = None) -> dict:
    """Read the environment into a Flask config mapping.

    :raise ConfigurationError: when a value is missing or makes no sense
    """
    overrides = overrides or {}
    environment = (
        overrides.get("REGISTRATION_ENV")
        or os.environ.get("REGISTRATION_ENV", "").strip()
        or "development"
    )
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"REGISTRATION_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}"
        )
    base_url = os.environ.get("BASE_URL", "").strip().rstrip("/") or "http://127.0.0.1:5000"
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"BASE_URL must be an absolute http(s) URL, not {base_url!r}")

    production = environment == "production"
    config = {
        "REGISTRATION_ENV": environment,
        "TESTING": environment == "testing",
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(environment, instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # Off behind a pooler that hands each transaction to any server connection (PgBouncer
        # in transaction mode): a statement prepared on one would be missing on the next.
        "DATABASE_PREPARED_STATEMENTS": _flag("DATABASE_PREPARED_STATEMENTS", True),
        "BASE_URL": base_url,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "").strip() or None,
        "MAIL_PORT": _integer("MAIL_PORT", 25),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER")
        or f"Koalicja Miast <no-reply@{parts.hostname}>",
        "MAIL_TIMEOUT": _seconds("MAIL_TIMEOUT", DEFAULT_MAIL_TIMEOUT),
        "MAIL_LEASE_SECONDS": _seconds("MAIL_LEASE_SECONDS", DEFAULT_MAIL_LEASE_SECONDS),
        # We decide where mail goes (SMTP, or .eml files without MAIL_SERVER), also in tests.
        "MAIL_SUPPRESS_SEND": False,
        **{
            name: os.environ.get(name, "").strip() or default
            for name, default in DEFAULT_DATA_CONTROLLER.items()
        },
        "ORGANISATION": _organisation(instance_path),
        "RETENTION_DAYS": _integer("RETENTION_DAYS", DEFAULT_RETENTION_DAYS),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://",
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # A rate-limit store that is away (Redis restarting) must not turn registrations
        # into errors: each worker counts in its own memory meanwhile, and says so in the log.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "TRUSTED_PROXY_HOPS": _integer("TRUSTED_PROXY_HOPS", 0),
        "PREFERRED_URL_SCHEME": parts.scheme,
        # In production the session cookie is a __Host- cookie: browsers take it only
        # over HTTPS, for this host alone (no Domain) and the whole site (Path=/), so no
        # other host of the domain and no plain-HTTP page can set it or read it.
        # Development serves plain HTTP, where no browser keeps a Secure cookie.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        # Nothing signs in with "remember me"; should anything ever set Flask-Login's
        # cookie, it gets the session cookie's guards (and names a session, not an account).
        "REMEMBER_COOKIE_NAME": "__Host-remember" if production else "remember_token",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "BABEL_DEFAULT_LOCALE": "pl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Warsaw",
        "LANGUAGES": ("pl", "en"),
        "WTF_CSRF_TIME_LIMIT": None,
        # The longest text is an event's description, the one file an attendee import
        # (1000 people fit easily): a larger body is refused (413) before anything reads it.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "").strip() or "text",
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", "").strip() or None,
        "METRICS_NETWORKS": os.environ.get("METRICS_NETWORKS", ""),
        "READY_MAIL_WORKER_MAX_AGE": os.environ.get("READY_MAIL_WORKER_MAX_AGE", "").strip()
        or DEFAULT_READY_MAIL_WORKER_MAX_AGE,
        "READY_OUTBOX_MAX_AGE": os.environ.get("READY_OUTBOX_MAX_AGE", "").strip()
        or DEFAULT_READY_OUTBOX_MAX_AGE,
    }
    config.update(overrides)
    _check_observability(config)
    if config["TRUSTED_PROXY_HOPS"] < 0:
        raise ConfigurationError("TRUSTED_PROXY_HOPS must be 0 or more")
    if config["RETENTION_DAYS"] < 1:
        raise ConfigurationError("RETENTION_DAYS must be 1 or more")
    if production and len(config["SECRET_KEY"].encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigurationError(
            f"SECRET_KEY is too short: production needs at least {MIN_SECRET_KEY_BYTES} bytes "
            "of random text, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    # Sending one message takes a few SMTP replies, each waited for up to MAIL_TIMEOUT, and
    # the final one ten times as long: the lease must outlast them all, or another worker
    # could take the message meanwhile and send a copy.
    config["MAIL_FINAL_REPLY_TIMEOUT"] = MAIL_FINAL_REPLY_FACTOR * config["MAIL_TIMEOUT"]
    longest_send = config["MAIL_FINAL_REPLY_TIMEOUT"] + 2 * config["MAIL_TIMEOUT"]
    if not config["MAIL_LEASE_SECONDS"] > longest_send:
        raise ConfigurationError(
            f"MAIL_LEASE_SECONDS ({config['MAIL_LEASE_SECONDS']:g}) must be longer than "
            f"{MAIL_FINAL_REPLY_FACTOR + 2} times MAIL_TIMEOUT ({config['MAIL_TIMEOUT']:g}), "
            "the longest one message can take; the defaults are 900 and 60"
        )
    return config
