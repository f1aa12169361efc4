"""Settings read from PLAJU_* environment variables.

Without any variable the app runs on an SQLite file under instance/ with a secret key generated once
into instance/secret_key. PLAJU_ENV=production switches on secure cookies and refuses to start without
an explicit PLAJU_SECRET_KEY.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    pass


def _secret_key(instance: Path, production: bool) -> str:
    key = os.environ.get("PLAJU_SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("PLAJU_ENV=production needs an explicit PLAJU_SECRET_KEY")
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # created with owner-only permissions, then reused by every later start
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def load(instance_path: str) -> dict:
    instance = Path(instance_path)
    production = os.environ.get("PLAJU_ENV", "development") == "production"
    database_url = os.environ.get("PLAJU_DATABASE_URL") or f"sqlite:///{instance / 'plaju.sqlite'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": _secret_key(instance, production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=10),
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
        "MAIL_SERVER": os.environ.get("PLAJU_MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("PLAJU_MAIL_PORT", "25")),
        "MAIL_SENDER": os.environ.get("PLAJU_MAIL_SENDER", "intranet@plaju.local"),
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
