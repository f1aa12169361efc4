"""The two workflows of competence development, one module each:

- enrolment.py: an ASN's enrolment in a course, from the request to the JP credited (ENROLMENT_FLOW),
  with internal_course.py: how it ends for a course the office runs itself (attendance, certificate);
- plan.py: a unit's annual plan, drafted by HR and approved by the Camat (PLAN_FLOW);

and what they share:

- who.py: who takes the steps (direct supervisor or HR, the Camat, a course's organiser and signer);
- queries.py: seats, the enrolment deadline and e-learning progress, asked by the guards and the pages;
- sentences.py: how the history and the audit log word the area's events.

Importing the package registers both specs, their news and their wording. The rest of the project imports
from here (plaju.training.workflow); the modules' other names are theirs.
"""
from . import sentences  # noqa: F401  (registers the audit wording)
from .enrolment import AUTOMATIC, ENROLMENT_FLOW, ENROLMENT_STATES
from .plan import PLAN_FLOW
from .queries import course_over, deadline_passed, elearning_done, seats_left, seats_taken
from .reported import record_certificate
from .who import DIRECT_SUPERVISOR

# what the services, views, certificates and tests import from the package
__all__ = ["AUTOMATIC", "DIRECT_SUPERVISOR", "ENROLMENT_FLOW", "ENROLMENT_STATES", "PLAN_FLOW", "course_over",
           "deadline_passed", "elearning_done", "record_certificate", "seats_left", "seats_taken"]
