"""E-learning: modules done, the quiz and its attempts, and the automatic completion when all is done."""
import random
import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...audit import record as audit
from ...database import lock_row, utcnow, writing
from ...extensions import db
from ...i18n import gettext as _
from ...i18n import wib_text
from ...workflow import Invalid, NotAllowed, fire
from ..models import Course, Enrolment, Module, ModuleOpening, ModuleProgress, QuizQuestion
from ..workflow import ENROLMENT_FLOW, elearning_done
from .common import refuse


def _check_learner(enrolment, user):
    if enrolment.user_id != user.id:
        raise NotAllowed(_("Only the enrolled ASN can follow this course."), code="role")
    if not enrolment.course.is_elearning:
        raise Invalid(_("This course is not an e-learning course."), code="method")
    if enrolment.state in ("requested", "approved"):
        raise Invalid(_("The e-learning opens after the Camat has signed off the enrolment."), code="state")
    if enrolment.state != "in_progress":  # e.g. finished from another tab: say so, not "not open yet"
        raise Invalid(_("This e-learning is closed for this enrolment (status: %(state)s); nothing is left to do here.",
                        state=ENROLMENT_FLOW.state(enrolment.state).label), code="state")


def done_module_ids(enrolment) -> set[int]:
    return set(db.session.scalars(select(ModuleProgress.module_id).where(
        ModuleProgress.enrolment_id == enrolment.id)))


JP_MINUTES = 45
# a module is marked done no sooner than this share of its part of the course's JP: modules state no duration
# of their own, and four were clicked through in ten seconds and credited
MODULE_SHARE = 1 / 3


def module_minimum(course: Course) -> timedelta:
    """The least time one module of `course` takes: MODULE_SHARE of its JP (45 minutes each), spread evenly
    over its modules. A course of 0 JP asks none."""
    return timedelta(seconds=round(course.jp * JP_MINUTES * 60 * MODULE_SHARE / max(len(course.modules), 1)))


def minutes(span: timedelta) -> int:
    return -(-int(span.total_seconds()) // 60)  # a started minute counts: "from 10.31" is not 10.30


def _moments(enrolment) -> tuple[dict, dict]:
    """(module id -> when first opened, module id -> when done) of this enrolment."""
    opened = dict(db.session.execute(select(ModuleOpening.module_id, ModuleOpening.opened_at).where(
        ModuleOpening.enrolment_id == enrolment.id)).all())
    done = dict(db.session.execute(select(ModuleProgress.module_id, ModuleProgress.done_at).where(
        ModuleProgress.enrolment_id == enrolment.id)).all())
    return opened, done


def _begun(module_id: int, before_id: int | None, opened: dict, done: dict) -> datetime | None:
    """When a module's time of study started: when it was opened, or when the module before it was done if
    that was later (modules opened at once in tabs still take their time one after the other)."""
    if module_id not in opened:
        return None
    before = done.get(before_id) if before_id is not None else None
    return max(opened[module_id], before) if before is not None else opened[module_id]


def ready_at(enrolment, module: Module, moments: tuple | None = None) -> datetime | None:
    """When `module` may be marked done (UTC): `module_minimum` after its time of study started (`_begun`);
    None while it has not been opened."""
    opened, done = _moments(enrolment) if moments is None else moments
    modules = enrolment.course.modules
    index = modules.index(module)
    begun = _begun(module.id, modules[index - 1].id if index else None, opened, done)
    return None if begun is None else begun + module_minimum(enrolment.course)


def open_module(enrolment, module: Module, user) -> None:
    """The learner opened a module: its time of study starts now (the first opening counts). Nothing for
    anyone else, nor once the enrolment is no longer in progress."""
    if enrolment.user_id != user.id or enrolment.state != "in_progress" or module.course_id != enrolment.course_id:
        return
    if db.session.scalar(select(ModuleOpening.id).where(ModuleOpening.enrolment_id == enrolment.id,
                                                        ModuleOpening.module_id == module.id)):
        return
    writing()  # a page (GET) that keeps when it was first opened
    db.session.add(ModuleOpening(enrolment_id=enrolment.id, module_id=module.id, opened_at=utcnow()))
    try:
        db.session.commit()
    except IntegrityError:  # opened in two tabs at once: the first opening stands
        db.session.rollback()


def mark_module_done(enrolment, module: Module, user) -> Enrolment:
    """Record that the ASN finished a module, not before `ready_at`; when it was the last thing to do,
    complete the enrolment."""
    now = utcnow()
    try:
        _check_learner(enrolment, user)
        if module.course_id != enrolment.course_id:
            raise NotAllowed(_("This module belongs to another course."), code="module")
        moments = _moments(enrolment)
        done = set(moments[1])
        earlier = next((m for m in enrolment.course.modules if m.id not in done and m.id != module.id
                        and (m.position, m.id) < (module.position, module.id)), None)
        if earlier is not None:  # in the course's order: every module was marked done in a second, unread
            raise Invalid(_("Finish the modules in their order: “%(title)s” comes first.", title=earlier.title),
                          code="module_order")
        ready, needs = ready_at(enrolment, module, moments), minutes(module_minimum(enrolment.course))
        if module.id not in done and ready is None:
            raise Invalid(_("Open “%(title)s” and study it first: it can be marked done %(n)s minutes after you "
                            "opened it.", title=module.title, n=needs), code="module_unread")
        if module.id not in done and now < ready:
            raise Invalid(_("“%(title)s” can be marked done from %(when)s: a module takes at least %(n)s minutes "
                            "of study.", title=module.title, when=wib_text(ready), n=needs), code="module_early")
    except (Invalid, NotAllowed) as error:
        refuse(error, "enrolment.module_done", user, subject_id=enrolment.id)
    if module.id not in done:
        db.session.add(ModuleProgress(enrolment_id=enrolment.id, module_id=module.id, done_at=now))
        audit.record("enrolment.module_done", actor=user, subject_type="enrolment", subject_id=enrolment.id,
                     from_state=enrolment.state, to_state=enrolment.state,
                     changes={"module": [None, module.title]})
        try:
            db.session.commit()
        except IntegrityError:  # the same module marked twice at once: once is enough
            db.session.rollback()
    return complete_if_finished(enrolment, user)


def learning_times(enrolment) -> dict | None:
    """How long the learner took, for whoever verifies: each module from when its study began (`_begun`)
    to when it was marked done, against the least it takes, and the whole from the first opening to the
    last module done. None when no module was done after an opening was kept."""
    opened, done = _moments(enrolment)
    if not opened or not done:
        return None
    least = minutes(module_minimum(enrolment.course))
    rows, before = [], None
    for module in enrolment.course.modules:
        begun = _begun(module.id, before, opened, done)
        took = minutes(done[module.id] - begun) if begun is not None and module.id in done else None
        rows.append({"module": module, "minutes": took, "short": took is not None and took < least})
        before = module.id
    return {"modules": rows, "least": least, "total": minutes(max(done.values()) - min(opened.values())),
            "first": min(opened.values()), "last": max(done.values())}


# A choice that speaks of the others ("Semua benar", "Tidak ada yang benar", "None of the above") means what it
# says only after them: it is shown last (several such: in the order typed), the others are shuffled above it.
_ABOUT_THE_OTHERS = re.compile(
    r"(semua(nya)?|seluruh(nya)?)( (jawaban|pilihan|opsi|pernyataan))?( (di ?atas|tersebut))?"
    r"( (benar|salah|tepat))?"
    r"|(benar|salah) semua(nya)?"
    r"|tidak ada( (jawaban|pilihan|opsi|pernyataan))?( (di ?atas|tersebut))?( yang (benar|salah|tepat))?"
    r"( (di ?atas|tersebut))?"
    r"|bukan (salah satu|semua)( (jawaban|pilihan|opsi|pernyataan))?( (di ?atas|tersebut))?"
    r"|(all|none|both|neither) of (the )?(above|these|them|(answers|choices|options)( above)?)"
    r"( (is|are) (correct|right|true|wrong|false))?")
# A choice naming others by their letter or number ("A dan B benar", "1 dan 2 benar") counts the choices in the
# order typed: its question keeps that order.
_BY_LETTER = re.compile(r"((jawaban|pilihan|opsi|hanya|only) )?([a-e]|[1-5])( ([a-e]|[1-5]))* (dan|and|atau|or|serta) "
                        r"([a-e]|[1-5])( (benar|salah|tepat|correct|right|true|wrong|are correct|are right))?")


def _plain(choice: str) -> str:
    """A choice as the rules above read it: lower case, words only ("A, B dan C benar." -> "a b dan c benar")."""
    return " ".join(re.sub(r"\W+", " ", choice.casefold()).split())


def _choice_order(choices: list[str], draw: random.Random) -> list[tuple[int, str]]:
    """The choices in the order shown, each with its typed index (see _ABOUT_THE_OTHERS and _BY_LETTER)."""
    numbered = list(enumerate(choices))
    if any(_BY_LETTER.fullmatch(_plain(choice)) for choice in choices):
        return numbered
    last = [(index, choice) for index, choice in numbered if _ABOUT_THE_OTHERS.fullmatch(_plain(choice))]
    shuffled = [item for item in numbered if item not in last]
    draw.shuffle(shuffled)
    return shuffled + last


def quiz_sheet(enrolment) -> list[tuple[QuizQuestion, list[tuple[int, str]]]]:
    """The quiz as this learner sees it: the questions, and each one's choices, in an order of the enrolment's
    own (a typed order let learners pass on "it is always the first one"), the same on every reload and every
    attempt. Each choice keeps its typed index, the value posted and graded: the score, the audit and what the
    organiser sees stay in the typed order. Each question draws from its own seed, so a question added later
    leaves the others where they were."""
    drawn = []
    for question in enrolment.course.questions:
        draw = random.Random(f"quiz:{enrolment.id}:{question.id}")  # a str seed: the same in every process
        drawn.append((draw.random(), question.id, question, _choice_order(question.choice_list, draw)))
    drawn.sort(key=lambda row: row[:2])
    return [(question, choices) for _key, _id, question, choices in drawn]


def typed_answers(enrolment, posted: dict) -> dict:
    """The quiz form's answers, each the place of the choice as this learner saw it (quiz_sheet), as the
    typed indices the quiz grades: posting "0" everywhere, or the author's order read in the page, passed
    a quiz whose right answers were typed first. Anything else sent stays unreadable, and submit_quiz
    refuses it."""
    found = dict(posted)
    for question, choices in quiz_sheet(enrolment):
        name = f"q{question.id}"
        raw = str(posted.get(name, ""))
        if name not in posted:
            continue
        shown = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 2 else -1
        found[name] = str(choices[shown][0]) if 0 <= shown < len(choices) and raw == str(shown) else "-"
    return found


def grade_quiz(course: Course, answers: dict) -> int:
    questions = course.questions
    if not questions:
        return 100
    right = sum(1 for q in questions if str(answers.get(f"q{q.id}", "")) == str(q.answer))
    return round(100 * right / len(questions))


def quiz_locked_until(enrolment, now: datetime | None = None) -> datetime | None:
    """When the ASN may take the quiz again (UTC), or None when an attempt is allowed now. After
    `quiz_max_attempts` attempts in a row the ASN waits `quiz_retry_wait_minutes` from the last one."""
    course = enrolment.course
    if (enrolment.quiz_attempts or 0) < course.quiz_max_attempts or enrolment.quiz_last_attempt_at is None:
        return None
    until = enrolment.quiz_last_attempt_at + timedelta(minutes=course.quiz_retry_wait_minutes)
    return until if until > (now or utcnow()) else None


def quiz_waits_for(enrolment) -> list:
    """The modules still to finish before the quiz opens (none when the course lets learners try first)."""
    if enrolment.course.quiz_before_modules:
        return []
    done = done_module_ids(enrolment)
    return [m for m in enrolment.course.modules if m.id not in done]


def submit_quiz(enrolment, user, answers: dict) -> tuple[int, bool]:
    # lock the enrolment: two answer sheets sent at once must not both pass the attempt check
    enrolment = lock_row(Enrolment, enrolment.id)  # the enrolment row, not the outer-joined course and user
    now = utcnow()
    try:
        _check_learner(enrolment, user)
        waiting = quiz_waits_for(enrolment)
        if waiting:
            raise Invalid(_("The quiz opens once every module is done. Still to do: %(modules)s.",
                            modules=", ".join(m.title for m in waiting)), code="quiz_modules")
        until = quiz_locked_until(enrolment, now)
        if until is not None:
            raise Invalid(_("You have used all %(n)s attempts. You can take the quiz again from %(when)s.",
                            n=enrolment.course.quiz_max_attempts, when=wib_text(until)), code="quiz_wait")
        sheet = quiz_sheet(enrolment)
        if any(f"q{question.id}" not in answers for question, _choices in sheet):
            raise Invalid(_("Answer every question."), code="quiz")
        stray = next((number for number, (question, choices) in enumerate(sheet, start=1)
                      if answers[f"q{question.id}"] not in {str(index) for index, _choice in choices}), None)
        if stray is not None:  # numbered as the learner saw the questions
            raise Invalid(_("The answer sent for question %(n)s is not one of its choices: choose one of the "
                            "choices shown.", n=stray), code="quiz_choice")
    except (Invalid, NotAllowed) as error:
        refuse(error, "enrolment.quiz", user, subject_id=enrolment.id)
    if (enrolment.quiz_attempts or 0) >= enrolment.course.quiz_max_attempts:
        enrolment.quiz_attempts = 0  # the wait is over: a new series of attempts
    attempts = (enrolment.quiz_attempts or 0) + 1
    score = grade_quiz(enrolment.course, answers)
    passed = score >= enrolment.course.effective_pass_mark
    best = max(score, enrolment.quiz_score or 0)
    audit.record("enrolment.quiz", actor=user, subject_type="enrolment", subject_id=enrolment.id,
                 from_state=enrolment.state, to_state=enrolment.state,
                 changes={"quiz_score": [enrolment.quiz_score, best], "attempt": [None, score],
                          "attempts": [enrolment.quiz_attempts or 0, attempts]})
    enrolment.quiz_score = best
    enrolment.quiz_attempts = attempts
    enrolment.quiz_last_attempt_at = now
    db.session.commit()
    complete_if_finished(enrolment, user)
    return score, passed


def complete_if_finished(enrolment, user) -> Enrolment:
    """Fire the automatic completion when every module is done and the quiz is passed. The ASN's own
    last step triggers it, so the ASN is the actor; the comment says the system took the step."""
    db.session.refresh(enrolment)
    if enrolment.state != "in_progress":
        return enrolment
    done, total, quiz_ok = elearning_done(enrolment)
    if not total or done < total or not quiz_ok:
        return enrolment
    # the office's own course goes on to its certificate; another's waits for HR to verify
    trigger = "complete_internal_elearning" if enrolment.course.internal else "complete_elearning"
    said = (_("Completed automatically: every module and the quiz are done.") if enrolment.course.questions
            else _("Completed automatically: every module is done."))  # (a course may have no quiz)
    return fire(enrolment, trigger, user, expected_version=enrolment.version, comment=said)


def learning_status(enrolment) -> dict:
    """Progress and the next thing to do: the first module not yet finished, else the quiz while it is
    not passed, else nothing (the course completes itself)."""
    done, total, quiz_ok = elearning_done(enrolment)
    done_ids = done_module_ids(enrolment)
    remaining = [m for m in enrolment.course.modules if m.id not in done_ids]
    if remaining:
        next_step = {"kind": "module", "module": remaining[0]}
    elif not quiz_ok:
        next_step = {"kind": "quiz", "module": None}
    else:
        next_step = None
    return {"done": done, "total": total, "quiz_ok": quiz_ok,
            "quiz_open": enrolment.course.quiz_before_modules or not remaining,
            "percent": round(100 * done / total) if total else 100,
            "done_ids": done_ids, "remaining": remaining, "next": next_step}

