"""Random walks through the enrolment spec: the row's state always equals the to_state of its last
ok audit event, JP are credited exactly when verified, and seats never exceed the quota."""
from datetime import timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from plaju.audit.models import AuditEvent
from plaju.timeutil import today_wib
from plaju.training.models import Course, Enrolment, Module, QuizQuestion
from plaju.training.services import elearning as elearning_service
from plaju.training.services import enrolment as enrolment_service
from plaju.training.workflow import ENROLMENT_FLOW, seats_taken
from plaju.workflow import Refused, fire
from tests.training.conftest import completion_data, study

TRIGGERS = sorted(ENROLMENT_FLOW.step_by_trigger)
ACTORS = ["asn", "kasi", "kasi2", "camat", "sekcam", "hr", "clerk"]


def test_enrolment_state_always_matches_the_audit_trail(db, users):
    names = {name: users[name].id for name in ACTORS}

    class EnrolmentMachine(RuleBasedStateMachine):
        @initialize(elearning=st.booleans(), routine=st.booleans(), quota=st.sampled_from([None, 1, 2]))
        def setup(self, elearning, routine, quota):
            self.course = Course(title="Uji acak", kind="teknis", method="elearning" if elearning else "pelatihan",
                                 jp=8, quota=quota, routine=routine, pass_mark=50 if elearning else None,
                                 enrol_deadline=today_wib() + timedelta(days=5))
            db.session.add(self.course)
            if elearning:
                db.session.add(Module(course=self.course, position=1, title="M1", kind="text", body="isi"))
                db.session.add(QuizQuestion(course=self.course, position=1, text="?", choices="a\nb", answer=0))
            db.session.commit()
            self.user = lambda name: db.session.get(type(users["asn"]), names[name])
            self.enrolment = enrolment_service.request_enrolment(self.course, self.user("asn"), self.user("asn"))
            self.enrolment_id = self.enrolment.id

        def row(self):
            db.session.expire_all()
            return db.session.get(Enrolment, self.enrolment_id)

        @rule(trigger=st.sampled_from(TRIGGERS), who=st.sampled_from(ACTORS), stale=st.booleans())
        def take_step(self, trigger, who, stale):
            row = self.row()
            data = completion_data(row.course) if trigger == "complete" else (
                {"confirmed": True} if trigger == "withdraw" else None)
            try:
                fire(row, trigger, self.user(who), expected_version=row.version - 1 if stale else row.version,
                     comment="catatan", data=data)
            except Refused:
                pass

        @rule(module_and_quiz=st.booleans())
        def learn(self, module_and_quiz):
            row = self.row()
            try:
                if module_and_quiz:
                    study(row, self.user("asn"), row.course.modules[:1])
                else:
                    questions = row.course.questions
                    elearning_service.submit_quiz(row, self.user("asn"), {f"q{q.id}": "0" for q in questions})
            except (Refused, IndexError):
                pass

        @invariant()
        def state_matches_last_ok_event(self):
            row = self.row()
            last = db.session.scalars(select(AuditEvent).where(
                AuditEvent.subject_type == "enrolment", AuditEvent.subject_id == str(row.id),
                AuditEvent.outcome == "ok").order_by(AuditEvent.seq.desc()).limit(1)).one()
            assert row.state == last.to_state

        @invariant()
        def jp_credited_exactly_when_verified(self):
            row = self.row()
            assert (row.jp_credited > 0) == (row.state == "verified")

        @invariant()
        def seats_within_quota(self):
            course = db.session.get(Course, self.course.id)
            assert course.quota is None or seats_taken(course.id) <= course.quota

    run_state_machine_as_test(EnrolmentMachine, settings=settings(
        max_examples=25, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
