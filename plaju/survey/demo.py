"""Demo SKM answers for most handed-over demo requests, through the same service as a citizen's answer.

The story: answers improve over the months (the service training round), speed (element 3) stays the
weakest element, and one in five citizens does not answer. Idempotent: a spent link is never used again.
"""
import random

from sqlalchemy import select

from ..core.registry import seeder
from ..documents.models import DocumentRequest
from ..extensions import db
from . import ikm
from . import services as svc
from .models import SkmResponse

COMMENTS = [
    "Petugas ramah dan menjelaskan persyaratan dengan jelas.",
    "Antrean pagi cukup panjang, mohon ditambah kursi tunggu.",
    "Prosesnya lebih cepat dari perkiraan, terima kasih.",
    "Informasi persyaratan sebaiknya ditempel di depan loket.",
    "Pelayanan bagus, tetapi parkir motor sempit.",
    "Mohon ada pemberitahuan lewat SMS saat dokumen sudah jadi.",
]
EDUCATION = [k for k, _label in ikm.EDUCATION]
OCCUPATIONS = [k for k, _label in ikm.OCCUPATIONS]


def demo_answers(rng: random.Random, progress: float) -> list[int]:
    """Nine answers; `progress` 0..1 (older .. newer) lifts them."""
    answers = []
    for element in ikm.ELEMENTS:
        centre = 2.7 + 0.9 * progress - (0.5 if element.number == 3 else 0) + (0.6 if element.number == 4 else 0)
        answers.append(min(4, max(1, round(rng.gauss(centre, 0.6)))))
    return answers


@seeder(order=60)
def seed_survey() -> None:
    if db.session.scalar(select(SkmResponse.id).limit(1)) is not None:
        return  # seeded before: a second run answers nothing more (answers are not linked to requests)
    handed = db.session.scalars(select(DocumentRequest).where(DocumentRequest.state == "handed_over")
                                .order_by(DocumentRequest.closed_at, DocumentRequest.id)).all()
    if not handed:
        return
    rng = random.Random(1417)
    oldest, newest = handed[0].closed_at, handed[-1].closed_at
    span = max((newest - oldest).total_seconds(), 1.0)
    for req in handed:
        if rng.random() < 0.2 or svc.is_used(req.tracking_code):
            continue
        progress = (req.closed_at - oldest).total_seconds() / span
        profile = rng.random() < 0.8
        svc.submit(req.tracking_code, svc.survey_key(req.tracking_code), demo_answers(rng, progress),
                   comment=rng.choice(COMMENTS) if rng.random() < 0.3 else "",
                   age=rng.randint(18, 70) if profile else None,
                   sex=rng.choice("LP") if profile else None,
                   education=rng.choice(EDUCATION) if profile else None,
                   occupation=rng.choice(OCCUPATIONS) if profile else None, enforce_expiry=False)
