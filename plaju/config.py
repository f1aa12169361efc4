"""Settings read from PLAJU_* environment variables.

Without any variable the app runs on an SQLite file under instance/ with a secret key generated once
into instance/secret_key. PLAJU_ENV must be development, production or test; production switches on
secure cookies and refuses to start without an explicit PLAJU_SECRET_KEY of at least 32 characters and
a PLAJU_AUDIT_KEY. Any malformed value stops the start with a ConfigError naming the variable.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path

from .proxies import parse as parse_proxies

ENVIRONMENTS = ("development", "production", "test")
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    pass


def _environment() -> str:
    value = os.environ.get("PLAJU_ENV", "development")
    if value not in ENVIRONMENTS:
        # a typo such as "Production" must not silently run as development
        raise ConfigError(f"PLAJU_ENV={value!r} is not one of {', '.join(ENVIRONMENTS)}")
    return value


def _positive(name: str, default: str) -> int:
    raw = os.environ.get(name, default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be a whole number above zero")
    return value


def _secret_key(instance: Path, production: bool) -> str:
    key = os.environ.get("PLAJU_SECRET_KEY")
    if key:
        if production and len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"PLAJU_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters long in production")
        return key
    if production:
        raise ConfigError("PLAJU_ENV=production needs an explicit PLAJU_SECRET_KEY")
    return _generated_once(instance / "secret_key")


def _generated_once(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # created with owner-only permissions, then reused by every later start
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker starting at the same moment wrote it
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _audit_key(instance: Path, production: bool) -> str:
    """The HMAC key of the audit chain and its checkpoints. It lives outside the database, so that
    someone who can write to the database still cannot forge events."""
    key = os.environ.get("PLAJU_AUDIT_KEY")
    if key:
        if len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"PLAJU_AUDIT_KEY needs at least {MIN_SECRET_LENGTH} characters")
        return key
    if production:
        raise ConfigError("PLAJU_ENV=production needs an explicit PLAJU_AUDIT_KEY")
    return _generated_once(instance / "audit_key")


QUEUE_MODES = ("thread", "inline", "rq", "off")


def _queue() -> dict:
    for name in ("PLAJU_QUEUE", "PLAJU_OUTBOX_DELIVERY"):
        value = os.environ.get(name)
        if value is not None and value not in QUEUE_MODES:
            raise ConfigError(f"{name}={value!r} is not one of {', '.join(QUEUE_MODES)}")
    # before PLAJU_QUEUE existed PLAJU_OUTBOX_DELIVERY chose the outbox's sender: it still does
    mode = os.environ.get("PLAJU_QUEUE") or os.environ.get("PLAJU_OUTBOX_DELIVERY") or "thread"
    delivery = os.environ.get("PLAJU_OUTBOX_DELIVERY") or mode
    return {
        "QUEUE": mode,
        "OUTBOX_DELIVERY": delivery,
        "REDIS_URL": os.environ.get("PLAJU_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "QUEUE_NAME": os.environ.get("PLAJU_QUEUE_NAME", "plaju"),
        # /healthz reports a backlog when the oldest waiting job or message is older than this
        "QUEUE_MAX_AGE_SECONDS": _positive("PLAJU_QUEUE_MAX_AGE_SECONDS", "300"),
        # a claimed message is not taken by another sender for this long; longer than a batch takes
        "OUTBOX_LEASE_SECONDS": _positive("PLAJU_OUTBOX_LEASE_SECONDS", "900"),
    }


CITIZEN_GATEWAYS = ("", "form_gateway", "whatsapp_cloud")


def _citizen_gateway() -> dict:
    """How citizens hear of their requests: which phone gateway (docs/operations.md, README)."""
    gateway = os.environ.get("PLAJU_CITIZEN_GATEWAY", "")
    if gateway not in CITIZEN_GATEWAYS:
        raise ConfigError(f"PLAJU_CITIZEN_GATEWAY={gateway!r} is not one of form_gateway, whatsapp_cloud "
                          "(or empty: no phone messages)")
    return {
        "CITIZEN_GATEWAY": gateway,
        # a token-and-form HTTP gateway (SMS or WhatsApp): POST of form fields, token in a header or a field
        "GATEWAY_URL": os.environ.get("PLAJU_GATEWAY_URL", ""),
        "GATEWAY_TOKEN": os.environ.get("PLAJU_GATEWAY_TOKEN", ""),
        "GATEWAY_TOKEN_HEADER": os.environ.get("PLAJU_GATEWAY_TOKEN_HEADER", "Authorization"),
        "GATEWAY_TOKEN_FIELD": os.environ.get("PLAJU_GATEWAY_TOKEN_FIELD", ""),
        "GATEWAY_NUMBER_FIELD": os.environ.get("PLAJU_GATEWAY_NUMBER_FIELD", "target"),
        "GATEWAY_MESSAGE_FIELD": os.environ.get("PLAJU_GATEWAY_MESSAGE_FIELD", "message"),
        "GATEWAY_ID_FIELD": os.environ.get("PLAJU_GATEWAY_ID_FIELD", ""),
        "GATEWAY_EXTRA_FIELDS": os.environ.get("PLAJU_GATEWAY_EXTRA_FIELDS", ""),
        "GATEWAY_TIMEOUT": _positive("PLAJU_GATEWAY_TIMEOUT", "10"),
        # the WhatsApp Business Cloud API: a pre-approved template with three body parameters
        "WHATSAPP_BASE_URL": os.environ.get("PLAJU_WHATSAPP_BASE_URL", "https://graph.facebook.com/v21.0"),
        "WHATSAPP_PHONE_NUMBER_ID": os.environ.get("PLAJU_WHATSAPP_PHONE_NUMBER_ID", ""),
        "WHATSAPP_TOKEN": os.environ.get("PLAJU_WHATSAPP_TOKEN", ""),
        "WHATSAPP_TEMPLATE": os.environ.get("PLAJU_WHATSAPP_TEMPLATE", "plaju_status_permohonan"),
        "WHATSAPP_LANGUAGE": os.environ.get("PLAJU_WHATSAPP_LANGUAGE", "id"),
    }


def load(instance_path: str) -> dict:
    instance = Path(instance_path)
    env = _environment()
    production = env == "production"
    try:
        trusted_proxies = parse_proxies(os.environ.get("PLAJU_TRUSTED_PROXIES", ""))
    except ValueError as e:
        raise ConfigError(str(e)) from None
    idle_minutes = _positive("PLAJU_SESSION_IDLE_MINUTES", "30")
    max_hours = _positive("PLAJU_SESSION_MAX_HOURS", "10")
    database_url = os.environ.get("PLAJU_DATABASE_URL") or f"sqlite:///{instance / 'plaju.sqlite'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "ENV_NAME": env,
        "SECRET_KEY": _secret_key(instance, production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # both enforced on the server from stamps in the session (plaju/accounts/sessions.py)
        "SESSION_IDLE_MINUTES": idle_minutes,
        "SESSION_MAX_HOURS": max_hours,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=max_hours),
        "TRUSTED_PROXIES": trusted_proxies,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # one file may be PLAJU_MAX_UPLOAD_MB; a whole request (several scans) five times that
        "UPLOAD_MAX_BYTES": int(os.environ.get("PLAJU_MAX_UPLOAD_MB", "5")) * 1024 * 1024,
        "MAX_CONTENT_LENGTH": 5 * int(os.environ.get("PLAJU_MAX_UPLOAD_MB", "5")) * 1024 * 1024,
        "UPLOAD_FOLDER": os.environ.get("PLAJU_UPLOAD_FOLDER") or str(instance / "uploads"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "RATELIMIT_STORAGE_URI": os.environ.get("PLAJU_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_LIMIT": os.environ.get("PLAJU_LOGIN_LIMIT", "5 per minute"),
        "LOGIN_ADDRESS_LIMIT": os.environ.get("PLAJU_LOGIN_ADDRESS_LIMIT", "20 per 10 minutes"),
        # wrong passwords when confirming a signature or decision, per account (accounts.confirmations)
        "CONFIRM_LIMIT": os.environ.get("PLAJU_CONFIRM_LIMIT", "5 per 15 minutes"),
        "MAIL_SERVER": os.environ.get("PLAJU_MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("PLAJU_MAIL_PORT", "25")),
        "MAIL_SENDER": os.environ.get("PLAJU_MAIL_SENDER", "intranet@plaju.local"),
        "AUDIT_KEY": _audit_key(instance, production),
        # signed checkpoints of the audit chain's head; see docs/operations.md "Audit log"
        "AUDIT_CHECKPOINT_FILE": os.environ.get("PLAJU_AUDIT_CHECKPOINT_FILE")
        or str(instance / "audit-checkpoints.log"),
        "AUDIT_CHECKPOINT_MAILTO": os.environ.get("PLAJU_AUDIT_CHECKPOINT_MAILTO", ""),
        "AUDIT_CHECKPOINT_MAX_AGE_HOURS": float(os.environ.get("PLAJU_AUDIT_CHECKPOINT_MAX_AGE_HOURS", "26")),
        # background work (plaju/tasks): "thread" (in-process, the embedded default), "inline", "rq"
        # (Redis + `flask --app plaju worker`) or "off" (cron only); the outbox follows it unless
        # PLAJU_OUTBOX_DELIVERY says otherwise
        **_queue(),
        **_citizen_gateway(),
        # the intranet's own address, put before the paths in e-mailed links (e.g. https://intranet.plaju.local)
        "BASE_URL": os.environ.get("PLAJU_BASE_URL", ""),
        "DEMO_PASSWORD": os.environ.get("PLAJU_DEMO_PASSWORD", "plaju-demo-2026"),
        # letters: letterhead, place, number format, signing keys, public address of /cek
        "LETTER_GOVERNMENT": os.environ.get("PLAJU_LETTER_GOVERNMENT", "PEMERINTAH KOTA PALEMBANG"),
        "LETTER_OFFICE": os.environ.get("PLAJU_LETTER_OFFICE", "KECAMATAN PLAJU"),
        "LETTER_ADDRESS": os.environ.get("PLAJU_LETTER_ADDRESS",
                                         "Kantor Camat Plaju, Kecamatan Plaju, Kota Palembang, Sumatera Selatan"),
        "LETTER_PLACE": os.environ.get("PLAJU_LETTER_PLACE", "Palembang"),
        "LETTER_NUMBER_FORMAT": os.environ.get("PLAJU_LETTER_NUMBER_FORMAT", "{klasifikasi}/{serial:04d}/PLJ/{year}"),
        "SIGNING_KEYS_DIR": os.environ.get("PLAJU_SIGNING_KEYS_DIR") or str(instance / "signing"),
        "PUBLIC_URL": os.environ.get("PLAJU_PUBLIC_URL", ""),
        "CHECK_LIMIT": os.environ.get("PLAJU_CHECK_LIMIT", "10 per minute"),
    }
