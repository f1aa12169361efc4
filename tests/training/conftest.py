"""Factories for competence development tests: courses, e-learning courses, enrolments in any state."""
import io
from contextlib import nullcontext
from datetime import datetime, time, timedelta

import pytest
from werkzeug.datastructures import FileStorage

from plaju.accounts.models import Delegation
from plaju.database import clock_at
from plaju.timeutil import today_wib
from plaju.training.demo import tiny_pdf
from plaju.training.models import Course, Enrolment, Module, QuizQuestion
from plaju.training.services import enrolment as enrolment_service
from plaju.workflow import started


def pdf_upload(name: str = "sttpp.pdf", data: bytes | None = None) -> FileStorage:
    return FileStorage(stream=io.BytesIO(tiny_pdf() if data is None else data), filename=name)


def certificate_for(course, **changes) -> dict:
    """The facts of a certificate that fits `course`: dated its last day (today when it has no dates),
    its JP, as a form or a service would pass them."""
    facts = {"number": "800/123/BPSDM/2026", "date": (course.ends_on or course.starts_on or today_wib()).isoformat(),
             "issuer": course.provider or "BPSDM Sumsel", "jp": str(course.jp or 1)}
    facts.update(changes)
    return facts


def completion_data(course, **changes) -> dict:
    """What the "complete" step needs: the stored certificate file and its facts."""
    from plaju.uploads import store
    return {"evidence": store(pdf_upload()), "certificate": certificate_for(course, **changes)}


def completion_form(course, version, **changes) -> dict:
    """The same, as the enrolment page's form posts it."""
    return {"version": version, "evidence": pdf_upload(),
            **{f"certificate_{k}": v for k, v in certificate_for(course, **changes).items()}}


def time_passes(enrolment) -> None:
    """The least time of a module passes for this learner: their openings and modules done move that much
    into the past (a page's request runs in a context of its own, which no clock_at reaches)."""
    from sqlalchemy import select

    from plaju.extensions import db
    from plaju.training.models import ModuleOpening, ModuleProgress
    from plaju.training.services.elearning import module_minimum
    span = module_minimum(enrolment.course)
    for row in db.session.scalars(select(ModuleOpening).where(ModuleOpening.enrolment_id == enrolment.id)):
        row.opened_at -= span
    for row in db.session.scalars(select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment.id)):
        row.done_at -= span
    db.session.commit()


def study(enrolment, user, modules=None):
    """The learner opens each module (all of the course's by default) and marks it done once the least time
    it takes has passed (elearning.ready_at). Returns the enrolment as the last module left it."""
    from plaju.training.services import elearning
    for module in enrolment.course.modules if modules is None else modules:
        elearning.open_module(enrolment, module, user)
        time_passes(enrolment)
        enrolment = elearning.mark_module_done(enrolment, module, user)
    return enrolment


def study_on_page(client, enrolment, module):
    """The same through the pages, for the signed-in learner: the module opened, then "I have finished this
    module" once its time has passed. Returns the answer to the latter."""
    client.get(f"/training/enrolments/{enrolment.id}/modules/{module.id}")
    time_passes(enrolment)
    return client.post(f"/training/enrolments/{enrolment.id}/modules/{module.id}/done")


@pytest.fixture()
def make_course(db):
    def make(**values) -> Course:
        defaults = dict(title="Pelatihan Pelayanan Prima", kind="teknis", method="pelatihan", jp=12,
                        provider="BPSDM Sumsel", quota=5, enrol_deadline=today_wib() + timedelta(days=10))
        defaults.update(values)
        course = Course(**defaults)
        db.session.add(course)
        db.session.commit()
        return course
    return make


@pytest.fixture()
def make_elearning(db, make_course):
    def make(modules: int = 2, quiz: bool = True, **values) -> Course:
        course = make_course(title=values.pop("title", "E-learning Komunikasi"), method="elearning", jp=6,
                             quota=None, pass_mark=70 if quiz else None, **values)
        for n in range(1, modules + 1):
            db.session.add(Module(course=course, position=n, title=f"Modul {n}", kind="text",
                                  body=f"Isi modul {n}"))
        if quiz:
            db.session.add(QuizQuestion(course=course, position=1, text="Dua tambah dua?", choices="3\n4\n5",
                                        answer=1))
            db.session.add(QuizQuestion(course=course, position=2, text="Ibu kota Sumsel?",
                                        choices="Palembang\nJambi", answer=0))
        db.session.commit()
        return course
    return make


@pytest.fixture()
def enrol(db):
    def make(course, user, state: str | None = None) -> Enrolment:
        if user.supervisor_id is None:  # nobody could approve their request: put the row in directly
            enrolment = Enrolment(course_id=course.id, user_id=user.id)
            db.session.add(enrolment)
            db.session.flush()
            started(enrolment)  # HR decides for an ASN without an active supervisor
            db.session.commit()
        else:
            with _before(course):
                enrolment = enrolment_service.request_enrolment(course, user, user)
        if state and state != "requested":
            enrolment = db.session.get(Enrolment, enrolment.id)
            enrolment.state = state
            if state == "verified":
                enrolment.jp_credited, enrolment.credited_year = course.jp, today_wib().year
            started(enrolment)  # put into its state by hand: the engine stores who must act now
            db.session.commit()
        return db.session.get(Enrolment, enrolment.id)
    return make


def _before(course):
    """Enrolment closes when a course is over: a test about a course that has ended enrols at 10.00 WIB on
    the day before it began (or on its deadline when that was earlier), as the ASN did then."""
    end = course.ends_on or course.starts_on
    if end is None or end >= today_wib():
        return nullcontext()
    day = (course.starts_on or end) - timedelta(days=1)
    if course.enrol_deadline is not None:
        day = min(day, course.enrol_deadline)
    return clock_at(datetime.combine(day, time(3, 0)))  # 10.00 WIB as naive UTC


@pytest.fixture()
def camat_away(db, users):
    """The sekcam is Plh of the Camat from yesterday to tomorrow."""
    today = today_wib()
    db.session.add(Delegation(principal_id=users["camat"].id, delegate_id=users["sekcam"].id, kind="plh",
                              starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)))
    db.session.commit()


def on_page(enrolment, answers: dict) -> dict:
    """Answers by typed index ({"q<id>": "1"}) as the quiz form posts them: each choice's place in the order
    this learner sees (elearning.quiz_sheet)."""
    from plaju.training.services.elearning import quiz_sheet
    places = {f"q{q.id}": {str(typed): str(place) for place, (typed, _choice) in enumerate(choices)}
              for q, choices in quiz_sheet(enrolment)}
    return {name: places.get(name, {}).get(value, value) for name, value in answers.items()}
