"""A server for the Camat's morning: the demo people, and exactly 10 documents awaiting signature, 2
enrolments to sign off and 1 annual plan, all brought there through the workflow (no demo extras).

Run as `python -m tests.browser.morning_server PORT` with PLAJU_DATABASE_URL, PLAJU_INSTANCE_PATH and
PLAJU_DEMO_PASSWORD set; only the browser tests start it, on 127.0.0.1.
"""
import sys
from datetime import date

from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import run_simple

from plaju import create_app
from plaju.accounts.demo import seed_people
from plaju.accounts.models import User
from plaju.documents.nik import make_nik
from plaju.documents.seed import seed_types
from plaju.documents.services import create_request
from plaju.extensions import db
from plaju.letters.demo import seed_certificates
from plaju.timeutil import today_wib
from plaju.training import services as training
from plaju.training.models import Course, Plan
from plaju.workflow import fire
from tests.support import spelled

DOCUMENTS, ENROLMENTS = 10, 2


def seed(password: str) -> None:
    seed_people(password)
    seed_certificates()  # the Camat signs letters with his own certificate
    people = {u.username: u for u in db.session.scalars(select(User))}
    clerk, kasi, hr, asn = people["petugas"], people["kasi"], people["kepegawaian"], people["asn1"]
    doc_type = next(t for t in seed_types().values() if t.camat_signs and not t.forwards_to_disdukcapil)
    for n in range(DOCUMENTS):
        req = create_request(actor=clerk, nik=make_nik(date(1985, 1, 1 + n), n % 2 == 0, n + 1),
                             name=f"Warga Pagi {spelled(n + 1)}", phone="081234567890", kelurahan="Plaju Darat",
                             doc_type=doc_type, ticked={r.id for r in doc_type.requirements},
                             purpose="pendaftaran sekolah", address="Jl. Sentosa No. 7 RT 003 RW 001",
                             birth_place="Palembang")
        for actor, trigger in ((clerk, "verify"), (kasi, "accept"), (kasi, "to_signature")):
            req = fire(req, trigger, actor, expected_version=req.version)
    courses = []
    for n in range(ENROLMENTS):
        course = Course(title=f"Pelatihan Pagi {n + 1}", kind="teknis", method="pelatihan", jp=8,
                        provider="BPSDM Sumsel", routine=n == 0)
        db.session.add(course)
        db.session.commit()
        courses.append(course)
        enrolment = training.request_enrolment(course, asn, asn)
        fire(enrolment, "approve", kasi, expected_version=enrolment.version)
    plan = training.create_plan(kasi.unit_id, today_wib().year, hr, suggest=False)
    training.add_item(plan.id, {"user_id": asn.id, "course_id": courses[0].id}, hr)
    plan = db.session.get(Plan, plan.id)
    fire(plan, "submit", hr, expected_version=plan.version)
    db.session.remove()


def main(port: int) -> None:
    import os
    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        seed(os.environ["PLAJU_DEMO_PASSWORD"])
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main(int(sys.argv[1]))
