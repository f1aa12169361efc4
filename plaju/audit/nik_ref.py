"""A NIK searched in /audit/ never travels in a URL: the form's value is sealed at once (Fernet, keyed from
SECRET_KEY, valid 12 hours) into the `nik_ref` query argument, and only the server reads it back."""
import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"plaju audit nik|" + str(current_app.config["SECRET_KEY"]).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(nik: str) -> str:
    return _fernet().encrypt(nik.encode()).decode()


def unseal(ref: str) -> str | None:
    try:
        value = _fernet().decrypt(ref.encode(), ttl=12 * 3600).decode()
    except (InvalidToken, ValueError):
        return None
    return value if value.isascii() and value.isdigit() and len(value) == 16 else None


def clean(raw: str) -> str | None:
    value = "".join(raw.split()).replace(".", "").replace("-", "")
    return value if value.isascii() and value.isdigit() and len(value) == 16 else None
