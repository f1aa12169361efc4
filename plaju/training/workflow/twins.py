"""One certificate on two enrolments (anyone's: the same file, or the same number in any spelling): HR credits
the second only with a reason (`verify_twin` instead of `verify`), and the event names the twins by their
numbers. One file was credited to two people with one click each. A list page's rows carry whether a report
has a twin (evidence.prefetch_twins), so its guards and caution cost no statement there."""
from ...extensions import db
from ...i18n import gettext as _
from ...workflow.assignments import store
from ...workflow.engine import spec_for
from ..evidence import has_twins, twins, twins_noted


def no_twin(enrolment, _actor):
    if has_twins(enrolment):
        return _("The same certificate is now recorded on another enrolment too: credit it with \"%(step)s\" and "
                 "your reason.", step=_("Verify and credit JP (same certificate elsewhere)"))
    return None


def a_twin(enrolment, _actor):
    return None if has_twins(enrolment) else _("No other enrolment holds this certificate.")


no_twin.structural = a_twin.structural = True  # a report offers one of the two, by whether it has a twin


def twin_caution(enrolment):
    return _("The same certificate (file or number) is recorded on another enrolment, listed on its page: "
             "credit this one too only with your reason.") if has_twins(enrolment) else None


def note_twins(enrolment, ctx) -> None:
    ctx.change("twins", None, twins_noted(enrolment))  # which enrolments, by number: the reason says why


def refresh_twins(enrolment, *_args) -> None:
    """The reports awaiting HR that share this enrolment's certificate offer `verify` or `verify_twin` by
    whether they have a twin: when this one is reported, returned, withdrawn or credited, theirs are stored
    again (in the same transaction). Enrolments without a certificate yet read nothing."""
    if not (enrolment.evidence_sha256 or enrolment.certificate_number_key):
        return
    with db.session.no_autoflush:
        waiting = [e for e, *_same in twins(enrolment) if e.state == "completed"]
    for other in waiting:
        other.__dict__.pop("_inbox_hints", None)
        store(spec_for(other), other, only_if_changed=True)
