"""Demo complaints: a few about demo requests, one already answered by a section head."""
from sqlalchemy import func, select

from ..accounts.models import User
from ..core.registry import seeder
from ..documents.models import DocumentRequest
from ..extensions import db
from ..workflow import fire
from . import services as svc
from .models import Complaint

MESSAGES = [
    ("complaint", "Sudah lewat tanggal janji tetapi status belum berubah. Mohon dicek."),
    ("suggestion", "Sebaiknya ada nomor WhatsApp untuk menanyakan status permohonan."),
    ("complaint", "Saya diminta kembali karena fotokopi KK kurang jelas, padahal sudah dicap."),
]


@seeder(order=61)
def seed_complaints() -> None:
    if db.session.scalar(select(func.count()).select_from(Complaint)):
        return
    # the Kasi Pemerintahan answers: the Kasi Pelayanan handled the requests (four eyes)
    kasi = db.session.scalars(select(User).where(User.username == "kasipem")).first()
    requests = db.session.scalars(select(DocumentRequest).where(DocumentRequest.state != "cancelled")
                                  .order_by(DocumentRequest.received_at).limit(len(MESSAGES))).all()
    for (kind, body), req in zip(MESSAGES, requests, strict=False):
        complaint = svc.submit(req, kind, body)
        if kasi is not None and kind == "suggestion":
            fire(complaint, "answer", kasi, expected_version=complaint.version,
                 comment="Terima kasih atas sarannya. Layanan informasi lewat WhatsApp sedang kami siapkan.")
