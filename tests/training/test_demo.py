"""The demo seeder: every method, every state, plans, ASN above and below 20 JP; idempotent."""
from sqlalchemy import func, select

from plaju.accounts.demo import seed_people
from plaju.audit.verify import verify_chain
from plaju.timeutil import today_wib
from plaju.training.demo import seed_training
from plaju.training.models import METHODS, Course, Enrolment, Plan
from plaju.training.services import tally as tally_service
from plaju.training.workflow import ENROLMENT_STATES


def test_demo_data_covers_every_method_state_and_plan(app, db):
    seed_people(app.config["DEMO_PASSWORD"])
    seed_training()
    assert set(db.session.scalars(select(Course.method))) == set(METHODS)
    assert set(db.session.scalars(select(Enrolment.state))) == {s.name for s in ENROLMENT_STATES}
    assert {"approved", "draft"} <= set(db.session.scalars(select(Plan.state)))
    from plaju.accounts.models import User
    people = {u.username: u for u in db.session.scalars(select(User))}
    year = today_wib().year
    assert tally_service.tally(people["asn3"], year) >= 20 > tally_service.tally(people["asn1"], year)
    # the office's own courses: one e-learning, one classroom whose certificate the Camat signed
    assert {c.method for c in db.session.scalars(select(Course).where(Course.internal.is_(True)))} >= {
        "elearning", "pelatihan"}
    from plaju.letters.models import Letter
    assert db.session.scalar(select(func.count()).select_from(Letter).where(
        Letter.subject_type == "training_certificate")) == 1
    counts = db.session.scalar(select(func.count()).select_from(Enrolment))
    seed_training()
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == counts
    assert verify_chain().ok
