"""Rules of competence development that are not a single workflow step, one module per section:
`catalogue` (courses, seats, recommendations), `enrolment` (enrolling, who sees what, lists),
`elearning` (modules, quiz, automatic completion), `tally` (JP credited), `plans` (annual plans),
`plan_needs` (what a plan is filled from) and `plan_figures` (what a plan adds up to).

Views call these; these call the workflow engine (`fire`, `started`, `available`) for every step and
write their own audit events for what is not a step. Code outside training may use the names
re-exported here (the section modules keep their own names: `services.tally` is the module).
"""
from .catalogue import recommended, save_course, seats_left_by_course, seats_taken_by_course
from .elearning import complete_if_finished, learning_status, mark_module_done, quiz_locked_until, submit_quiz
from .enrolment import awaiting, can_view_enrolment, count_awaiting, enrol_refusal, request_enrolment
from .plan_figures import realisation
from .plan_needs import needs
from .plans import add_item, amend, create_plan, remove_item
from .tally import jp_earned, percent

__all__ = ["add_item", "amend", "awaiting", "can_view_enrolment", "complete_if_finished", "count_awaiting",
           "create_plan", "enrol_refusal", "jp_earned", "learning_status", "mark_module_done", "needs",
           "percent", "quiz_locked_until", "realisation", "recommended", "remove_item", "request_enrolment",
           "save_course", "seats_left_by_course", "seats_taken_by_course", "submit_quiz"]
