"""A demo certification authority and one personal certificate per demo signer, so the first run signs.

Production uses the certificates BSrE issues (see docs/operations.md); these are for demos and tests.
"""
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app
from sqlalchemy import select

from ..accounts.models import User, UserRole
from ..core.registry import seeder
from ..extensions import db

CA_NAME = "Plaju Demo CA (bukan untuk produksi)"
# who may sign letters: the Camat and those who stand in for him as Plh (Sekcam, Kasi)
SIGNER_ROLES = ("camat", "sekcam", "section_head")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pemerintah Kota Palembang"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def demo_ca(keys_dir: Path):
    """The demo CA's key and certificate, created once into keys_dir (ca.pem, ca.key)."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = keys_dir / "ca.pem", keys_dir / "ca.key"
    if cert_path.is_file() and key_path.is_file():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(CA_NAME)).issuer_name(_name(CA_NAME))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def issue_demo_certificate(keys_dir: str | Path, username: str, full_name: str, *, days: int = 365,
                           passphrase: str | None = None, replace: bool = False) -> Path:
    """<username>.p12 signed by the demo CA and its passphrase in <username>.pass (both owner-only)."""
    keys_dir = Path(keys_dir)
    ca_key, ca_cert = demo_ca(keys_dir)
    p12_path, pass_path = keys_dir / f"{username}.p12", keys_dir / f"{username}.pass"
    if p12_path.exists() and not replace:
        return p12_path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(full_name)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    passphrase = passphrase or secrets.token_urlsafe(18)
    data = pkcs12.serialize_key_and_certificates(
        username.encode(), key, cert, [ca_cert],
        serialization.BestAvailableEncryption(passphrase.encode()))
    _write_private(p12_path, data)
    _write_private(pass_path, passphrase.encode() + b"\n")
    return p12_path


@seeder(order=15)
def seed_certificates() -> None:
    """Before the demo requests are signed: a certificate for every demo signer who has none."""
    keys_dir = Path(current_app.config["SIGNING_KEYS_DIR"])
    signers = db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                 .where(UserRole.role.in_(SIGNER_ROLES)).distinct())
    for user in signers:
        issue_demo_certificate(keys_dir, user.username, user.full_name)
