"""PDF signatures (PAdES) with pyHanko behind a small signer interface.

Certificates are personal, as the government's electronic certificates (BSrE) are: each signer has a
PKCS#12 file `<username>.p12` and its passphrase in `<username>.pass` in PLAJU_SIGNING_KEYS_DIR. A Plh
signs with his own certificate. A remote signing service can implement `Signer` later.
Whoever signs in as an account signs with its certificate, so the accounts' rules ask `installed_for`:
such an account keeps its username (the file follows the name), and only the server's operator, who
installs the files, resets its password (accounts.rules).
`load()` opens the key before anything is signed, so a missing file or a wrong passphrase refuses the
step with a clear message and changes nothing.
"""
import asyncio
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app

from ..i18n import gettext as _

WARN_DAYS = 30


class SigningRefused(Exception):
    """The signer cannot sign now; `message` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    not_after: datetime  # naive UTC

    def days_left(self, now: datetime | None = None) -> int:
        now = now or datetime.now(UTC).replace(tzinfo=None)
        return (self.not_after - now).days


class Signer(Protocol):
    def installed_for(self, username: str) -> bool:
        """Whether a certificate is installed for the account of this username (valid or not)."""

    def certificate(self, signer_user) -> CertificateInfo:
        """The signer's certificate; raises SigningRefused when there is none or it cannot be opened."""

    def sign(self, pdf_bytes: bytes, signer_user, *, reason: str = "", location: str = "") -> bytes:
        """The PDF with a PAdES signature of `signer_user` added; raises SigningRefused."""


def _name(cert) -> str:
    from cryptography.x509.oid import NameOID
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else cert.subject.rfc4514_string()


_CERTIFICATES: dict[bytes, CertificateInfo] = {}


class Pkcs12Signer:
    def __init__(self, keys_dir: str | Path):
        self.keys_dir = Path(keys_dir)

    def paths(self, username: str) -> tuple[Path, Path]:
        if not username or "/" in username or username.startswith("."):
            raise SigningRefused(_("This account has no electronic signature certificate."))
        return self.keys_dir / f"{username}.p12", self.keys_dir / f"{username}.pass"

    def installed_for(self, username: str) -> bool:
        try:
            return self.paths(username)[0].is_file()
        except SigningRefused:
            return False

    def _open(self, user):
        p12_path, pass_path = self.paths(user.username)
        if not p12_path.is_file():
            raise SigningRefused(_("No electronic signature certificate is set up for %(name)s. Ask the "
                                   "administrator to install it before signing.", name=user.full_name))
        if not pass_path.is_file():
            raise SigningRefused(_("The passphrase of the electronic certificate of %(name)s is missing. "
                                   "Ask the administrator to set it up before signing.", name=user.full_name))
        passphrase = pass_path.read_bytes().strip()
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(p12_path.read_bytes(), passphrase)
        except ValueError:
            raise SigningRefused(_("The passphrase of the electronic certificate of %(name)s is wrong. "
                                   "Nothing was signed.", name=user.full_name)) from None
        if key is None or cert is None:
            raise SigningRefused(_("The certificate file of %(name)s holds no signing key.", name=user.full_name))
        return key, cert, extra

    def certificate(self, signer_user) -> CertificateInfo:
        # Opening a PKCS#12 derives its key from the passphrase (tens of ms); home pages ask on every visit,
        # so the facts are kept per content of the two files: a replaced file or passphrase is read again.
        p12_path, pass_path = self.paths(signer_user.username)
        try:
            version = hashlib.sha256(p12_path.read_bytes() + b"\0" + pass_path.read_bytes()).digest()
        except OSError:
            version = None
        cached = _CERTIFICATES.get(version) if version else None
        if cached is not None:
            return cached
        _key, cert, _extra = self._open(signer_user)
        info = CertificateInfo(subject=_name(cert), issuer=cert.issuer.rfc4514_string(),
                               not_after=cert.not_valid_after_utc.replace(tzinfo=None))
        if version:
            _CERTIFICATES[version] = info
        return info

    def sign(self, pdf_bytes: bytes, signer_user, *, reason: str = "", location: str = "") -> bytes:
        key, cert, extra = self._open(signer_user)
        now = datetime.now(UTC)
        if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
            raise SigningRefused(_("The electronic certificate of %(name)s is not valid today (valid until "
                                   "%(date)s). Nothing was signed.", name=signer_user.full_name,
                                   date=cert.not_valid_after_utc.strftime("%d-%m-%Y")))
        return _outside_event_loop(_pades, pdf_bytes, key, cert, extra, reason, location)


def _outside_event_loop(fn, *args):
    """pyHanko runs its own asyncio loop; where one already runs in this thread, sign in another thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def _pades(pdf_bytes, key, cert, extra, reason, location) -> bytes:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def der(c):
        return asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
    signing_key = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    signer = signers.SimpleSigner(signing_cert=der(cert), signing_key=signing_key,
                                  cert_registry=SimpleCertificateStore.from_certs([der(c) for c in extra or ()]))
    meta = signers.PdfSignatureMetadata(
        field_name="TandaTanganCamat", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None, location=location or None, name=_name(cert))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    # reserving the space avoids pyHanko's trial signature that measures it
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer, bytes_reserved=16384)
    return out.getvalue()


def signer() -> Signer:
    """The configured signer: PKCS#12 files in PLAJU_SIGNING_KEYS_DIR."""
    return Pkcs12Signer(current_app.config["SIGNING_KEYS_DIR"])


def certificate_status(user) -> tuple[str | None, str | None]:
    """(state, warning) of the user's certificate: ("missing" | "expired" | "expiring", message) or
    (None, None) when it is fine for more than 30 days."""
    try:
        info = signer().certificate(user)
    except SigningRefused as refused:
        return "missing", refused.message
    days = info.days_left()
    if days < 0:
        return "expired", _("Your electronic signature certificate has expired. Ask for a new one before signing.")
    if days <= WARN_DAYS:
        return "expiring", _("Your electronic signature certificate expires in %(n)s days (%(date)s). Ask for a "
                             "new one in time.", n=days, date=info.not_after.strftime("%d-%m-%Y"))
    return None, None


def expiry_warning(user) -> str | None:
    return certificate_status(user)[1]
