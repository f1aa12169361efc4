"""Letters of document requests: a signed SKTM, the demo CA, helpers to validate PDF signatures."""
import shutil
from io import BytesIO

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from sqlalchemy import select

from plaju.documents.services import take_action
from plaju.letters.models import Letter
from plaju.letters.services import pdf_of
from tests.documents.conftest import doc_types, make_request  # noqa: F401  (fixtures)
from tests.support import PASSWORD


@pytest.fixture()
def sign(db, users, make_request):  # noqa: F811
    """sign(type_code, who) -> (request, letter): a request taken to signature and signed."""
    def do(type_code="sktm", who="camat", **fields):
        req = make_request("awaiting_signature", type_code, **fields)
        req = take_action(req, "sign", users[who], version=req.version, password=PASSWORD)
        letter = db.session.scalars(select(Letter).where(Letter.subject_id == req.id)).one()
        return req, pdf_of(letter.id)
    return do


@pytest.fixture()
def keys_dir(app):
    return app.config["SIGNING_KEYS_DIR"]


@pytest.fixture()
def other_keys(app, tmp_path, keys_dir):
    """Point the app at a keys directory of the test's own for the duration of the test."""
    old = app.config["SIGNING_KEYS_DIR"]
    app.config["SIGNING_KEYS_DIR"] = str(tmp_path)
    yield tmp_path
    app.config["SIGNING_KEYS_DIR"] = old


def copy_key(source_dir, target_dir, username):
    for suffix in (".p12", ".pass"):
        shutil.copy(f"{source_dir}/{username}{suffix}", target_dir / f"{username}{suffix}")


def demo_ca(keys_dir):
    with open(f"{keys_dir}/ca.pem", "rb") as fh:
        _type, _headers, der = pem.unarmor(fh.read())
    return asn1_x509.Certificate.load(der)


def pyhanko_status(data: bytes, keys_dir):
    """pyHanko's verdict on the one signature of `data`, with the demo CA as the only trust root. Run in a
    thread of its own: pyHanko starts an event loop, which Playwright's thread already has."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_validate, data, keys_dir).result()


def _validate(data: bytes, keys_dir):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    reader = PdfFileReader(BytesIO(data), strict=False)
    [signature] = reader.embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[demo_ca(keys_dir)]))
