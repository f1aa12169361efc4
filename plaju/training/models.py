"""Competence development: courses, enrolments, e-learning progress, annual plans."""
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..accounts.models import Unit, User
from ..database import utcnow
from ..extensions import db
from ..i18n import lazy_gettext as _l

JP_TARGET = 20  # every ASN has the right to at least 20 JP a year
DEFAULT_PASS_MARK = 70  # percent, for a quiz whose course sets no pass mark
DEFAULT_QUIZ_MAX_ATTEMPTS = 3
DEFAULT_QUIZ_RETRY_WAIT = 60  # minutes after the last allowed attempt
DEFAULT_MIN_ATTENDANCE = 80  # percent of the course days, for a course the office runs itself

KINDS = {
    "teknis": _l("Technical"),
    "manajerial": _l("Managerial"),
    "sosial_kultural": _l("Socio-cultural"),
}
CLASSICAL = {
    "pelatihan": _l("Training (pelatihan)"),
    "workshop": _l("Workshop"),
    "seminar": _l("Seminar"),
    "bimtek": _l("Technical guidance (bimtek)"),
    "kursus": _l("Course (kursus)"),
}
NON_CLASSICAL = {
    "elearning": _l("E-learning"),
    "coaching": _l("Coaching"),
    "mentoring": _l("Mentoring"),
    "magang": _l("Internship (magang)"),
    "mandiri": _l("Self-study (belajar mandiri)"),
}
METHODS = {**CLASSICAL, **NON_CLASSICAL}
MODULE_KINDS = {"text": _l("Text"), "pdf": _l("PDF"), "link": _l("External link")}

# enrolments in these states hold a seat of the course
SEAT_STATES = ("approved", "in_progress", "completed", "awaiting_certificate", "verified", "not_completed")
# an ASN has at most one enrolment per course outside these states
CLOSED_STATES = ("declined", "withdrawn", "not_completed", "credit_withdrawn")


class Course(db.Model):
    __tablename__ = "training_course"
    __table_args__ = (
        CheckConstraint("jp >= 0", name="jp"),
        CheckConstraint("quota IS NULL OR quota >= 0", name="quota"),
        Index("ix_training_course_active_kind_method", "active", "kind", "method"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20))
    jp: Mapped[int] = mapped_column(default=0)
    provider: Mapped[str] = mapped_column(String(120), default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    place: Mapped[str] = mapped_column(String(200), default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    quota: Mapped[int | None]  # None: no limit
    enrol_deadline: Mapped[date | None] = mapped_column(index=True)
    # routine courses may be signed off by a Plh/Plt of the Camat
    routine: Mapped[bool] = mapped_column(default=False)
    pass_mark: Mapped[int | None]  # percent, for e-learning with a quiz
    # quiz attempts in a row before the ASN must wait, so answers cannot be found by trying them all
    quiz_max_attempts: Mapped[int] = mapped_column(default=DEFAULT_QUIZ_MAX_ATTEMPTS,
                                                   server_default=str(DEFAULT_QUIZ_MAX_ATTEMPTS))
    quiz_retry_wait_minutes: Mapped[int] = mapped_column(default=DEFAULT_QUIZ_RETRY_WAIT,
                                                         server_default=str(DEFAULT_QUIZ_RETRY_WAIT))
    # the quiz opens once every module is done, unless the course lets learners try it first
    quiz_before_modules: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    active: Mapped[bool] = mapped_column(default=True)
    # training outside the catalogue (another agency's course, a national LMS), reported with its
    # certificate by the ASN: never listed, never offered
    external: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fee: Mapped[int | None] = mapped_column(BigInteger)  # Rupiah per participant; None: not known
    # a course the office runs itself: the organiser records attendance and the office issues the
    # certificate (a letter of plaju.letters), signed by `certificate_signer` (None: the Camat)
    internal: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    certificate_signer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    min_attendance: Mapped[int | None]  # percent of the course days; None: DEFAULT_MIN_ATTENDANCE

    modules: Mapped[list["Module"]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan")
    questions: Mapped[list["QuizQuestion"]] = relationship(
        back_populates="course", order_by="QuizQuestion.position", cascade="all, delete-orphan")
    organiser: Mapped[User | None] = relationship(foreign_keys=[organiser_id])
    certificate_signer: Mapped[User | None] = relationship(foreign_keys=[certificate_signer_id])

    @property
    def is_elearning(self) -> bool:
        return self.method == "elearning"

    @property
    def effective_min_attendance(self) -> int:
        return DEFAULT_MIN_ATTENDANCE if self.min_attendance is None else self.min_attendance

    @property
    def effective_pass_mark(self) -> int:
        """The pass mark of the quiz in percent: the course's own, else DEFAULT_PASS_MARK."""
        return DEFAULT_PASS_MARK if self.pass_mark is None else self.pass_mark

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    @property
    def method_label(self) -> str:
        return str(METHODS.get(self.method, self.method))

    def __str__(self):
        return self.title


class Module(db.Model):
    __tablename__ = "training_module"
    __table_args__ = (CheckConstraint("kind IN ('text', 'pdf', 'link')", name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(300), default="")
    file_name: Mapped[str | None] = mapped_column(String(80))
    file_original: Mapped[str | None] = mapped_column(String(200))

    course: Mapped[Course] = relationship(back_populates="modules")

    @property
    def kind_label(self) -> str:
        return str(MODULE_KINDS.get(self.kind, self.kind))


class QuizQuestion(db.Model):
    __tablename__ = "training_quiz_question"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    choices: Mapped[str] = mapped_column(Text)  # one choice per line
    answer: Mapped[int] = mapped_column(default=0)  # index of the right choice

    course: Mapped[Course] = relationship(back_populates="questions")

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Enrolment(db.Model):
    __tablename__ = "training_enrolment"
    __table_args__ = (
        Index("ix_training_enrolment_course_state", "course_id", "state"),
        Index("ix_training_enrolment_user_state", "user_id", "state"),
        Index("ix_training_enrolment_credit", "user_id", "credited_year"),
        CheckConstraint("jp_credited >= 0", name="jp_credited"),
        CheckConstraint("state <> 'verified' OR credited_year IS NOT NULL", name="verified_credited"),
        CheckConstraint("certificate_jp IS NULL OR certificate_jp > 0", name="certificate_jp"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    state: Mapped[str] = mapped_column(String(20), default="requested", index=True)
    version: Mapped[int] = mapped_column(default=0)
    motivation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    completed_at: Mapped[datetime | None]
    evidence_name: Mapped[str | None] = mapped_column(String(80))
    evidence_original: Mapped[str | None] = mapped_column(String(200))
    evidence_mime: Mapped[str | None] = mapped_column(String(60))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    # the certificate (STTPP) as printed, checked against the course when completion is reported
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    # the number as /audit/ finds it, in any spelling (evidence.number_key); kept by _keyed
    certificate_number_key: Mapped[str] = mapped_column(String(200), default="", server_default="", index=True)
    certificate_date: Mapped[date | None]
    certificate_issuer: Mapped[str | None] = mapped_column(String(200))
    certificate_jp: Mapped[int | None]
    quiz_score: Mapped[int | None]  # best score in percent
    quiz_attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # in the current series
    quiz_last_attempt_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verified_at: Mapped[datetime | None]
    jp_credited: Mapped[int] = mapped_column(default=0)
    credited_year: Mapped[int | None]
    # the office's classroom course: who attested this participant's attendance (who closed it first, then
    # each who recorded a day), "5,7"; none of them signs the certificate it leads to (four eyes)
    attester_ids: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # who had set the ASN's password in the 30 days before the report, fixed when it was made (a later reset
    # changes nothing): he could have made it himself, so he does not verify it (workflow.who.password_setter)
    password_setter_id: Mapped[int | None]

    course: Mapped[Course] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    nominated_by: Mapped[User | None] = relationship(foreign_keys=[nominated_by_id])
    progress: Mapped[list["ModuleProgress"]] = relationship(cascade="all, delete-orphan")

    @validates("certificate_number")
    def _keyed(self, _name, number):
        from .evidence import number_key
        self.certificate_number_key = number_key(number)[:200]  # set, corrected or cleared, the key follows
        return number

    @property
    def jp_to_credit(self) -> int:
        """What crediting it gives: the JP as printed on the reported certificate (never above the course's:
        checked when reported), else the course's."""
        if self.certificate_jp is None:
            return self.course.jp
        return min(self.certificate_jp, self.course.jp) if self.course.jp else self.certificate_jp

    @property
    def year_to_credit(self) -> int | None:
        """The year its JP count in: the certificate dates the training, else the year it was completed."""
        from ..timeutil import to_wib
        if self.certificate_date:
            return self.certificate_date.year
        return to_wib(self.completed_at).year if self.completed_at else None

    @property
    def jp_due(self) -> int:
        """The JP this training stands for, as people are told: once credited what was, else `jp_to_credit`."""
        return self.jp_credited if self.state in ("verified", "credit_withdrawn") else self.jp_to_credit


class ModuleProgress(db.Model):
    __tablename__ = "training_module_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "module_id", name="uq_training_module_progress_once"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("training_enrolment.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id", ondelete="CASCADE"), index=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModuleOpening(db.Model):
    """When the learner first opened a module: its time of study starts there (services.elearning.ready_at)."""
    __tablename__ = "training_module_opening"
    __table_args__ = (UniqueConstraint("enrolment_id", "module_id", name="uq_training_module_opening_once"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("training_enrolment.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id", ondelete="CASCADE"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attendance(db.Model):
    """One participant on one day of a course the office runs: present or not, as the organiser recorded."""
    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("enrolment_id", "day", name="uq_training_attendance_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("training_enrolment.id", ondelete="CASCADE"))
    day: Mapped[date]
    present: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Plan(db.Model):
    """The annual competence development plan of one unit; an amendment is a new revision."""
    __tablename__ = "training_plan"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "revision", name="uq_training_plan_revision"),
        Index("ix_training_plan_year_state", "year", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int]
    revision: Mapped[int] = mapped_column(default=1)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("training_plan.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("training_plan.id"))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    amends: Mapped["Plan | None"] = relationship(remote_side=[id], foreign_keys=[amends_id])
    items: Mapped[list["PlanItem"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.id")

    @property
    def editable(self) -> bool:
        return self.state in ("draft", "returned")


class PlanItem(db.Model):
    """One planned activity: for one person (user_id) or for a group (group_label, participants)."""
    __tablename__ = "training_plan_item"
    __table_args__ = (
        CheckConstraint("planned_jp >= 0", name="planned_jp"),
        CheckConstraint("cost >= 0", name="cost"),
        CheckConstraint("participants >= 1", name="participants"),
        CheckConstraint("quarter IS NULL OR quarter BETWEEN 1 AND 4", name="quarter"),
        CheckConstraint("funding IN ('apbd', 'free', 'external')", name="funding"),
        CheckConstraint("user_id IS NOT NULL OR group_label IS NOT NULL", name="person_or_group"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plan.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    group_label: Mapped[str | None] = mapped_column(String(120))
    participants: Mapped[int] = mapped_column(default=1, server_default="1")
    course_id: Mapped[int | None] = mapped_column(ForeignKey("training_course.id"))
    competence_id: Mapped[int | None] = mapped_column(ForeignKey("training_competence.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    planned_jp: Mapped[int] = mapped_column(default=0)  # per participant
    quarter: Mapped[int | None]
    cost: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # Rupiah, all participants
    funding: Mapped[str] = mapped_column(String(10), default="apbd", server_default="apbd")

    plan: Mapped[Plan] = relationship(back_populates="items")
    user: Mapped[User | None] = relationship(lazy="joined")
    course: Mapped[Course | None] = relationship()

    @property
    def total_jp(self) -> int:
        return self.planned_jp * self.participants

    @property
    def who(self) -> str:
        return self.user.full_name if self.user is not None else f"{self.group_label} ({self.participants})"


# --- competences, positions, plan budget (issue 11) ------------------------------------------------
# competence kinds are the course kinds (KINDS): teknis, manajerial, sosial kultural
POSITION_KINDS = {
    "pelaksana": _l("Pelaksana (executing staff)"),
    "pengawas": _l("Pengawas (supervisor, e.g. Kasi)"),
    "administrator": _l("Administrator (e.g. Camat, Sekcam)"),
    "fungsional": _l("Fungsional (functional position)"),
}
FUNDING = {"apbd": _l("APBD"), "free": _l("Free of charge"), "external": _l("External funding")}
QUARTERS = {1: _l("Q1 (Jan-Mar)"), 2: _l("Q2 (Apr-Jun)"), 3: _l("Q3 (Jul-Sep)"), 4: _l("Q4 (Oct-Dec)")}


class Competence(db.Model):
    """A competence from the office's dictionary, e.g. "Pelayanan publik" (teknis)."""
    __tablename__ = "training_competence"
    __table_args__ = (CheckConstraint("kind IN ('teknis', 'manajerial', 'sosial_kultural')", name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    def __str__(self):
        return self.name


class Position(db.Model):
    """A position (jabatan) with its kind and the competence levels it requires."""
    __tablename__ = "training_position"
    __table_args__ = (CheckConstraint("kind IN ('pelaksana', 'pengawas', 'administrator', 'fungsional')",
                                      name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)

    requirements: Mapped[list["PositionCompetence"]] = relationship(cascade="all, delete-orphan")

    @property
    def kind_label(self) -> str:
        return str(POSITION_KINDS.get(self.kind, self.kind))


class PositionCompetence(db.Model):
    __tablename__ = "training_position_competence"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level"),)
    position_id: Mapped[int] = mapped_column(ForeignKey("training_position.id", ondelete="CASCADE"),
                                             primary_key=True)
    competence_id: Mapped[int] = mapped_column(ForeignKey("training_competence.id", ondelete="CASCADE"),
                                               primary_key=True, index=True)
    level: Mapped[int]

    competence: Mapped[Competence] = relationship(lazy="joined")


class PersonPosition(db.Model):
    """The position a person holds, as training sees it (the account keeps the printed title)."""
    __tablename__ = "training_person_position"
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("training_position.id"), index=True)

    position: Mapped[Position] = relationship(lazy="joined")


class PersonCompetence(db.Model):
    """A person's assessed level of a competence (0: not yet assessed as present)."""
    __tablename__ = "training_person_competence"
    __table_args__ = (CheckConstraint("level BETWEEN 0 AND 5", name="level"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    competence_id: Mapped[int] = mapped_column(ForeignKey("training_competence.id", ondelete="CASCADE"),
                                               primary_key=True, index=True)
    level: Mapped[int]


class CourseCompetence(db.Model):
    """A competence a course raises, and the level a participant reaches with it."""
    __tablename__ = "training_course_competence"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level"),)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), primary_key=True)
    competence_id: Mapped[int] = mapped_column(ForeignKey("training_competence.id", ondelete="CASCADE"),
                                               primary_key=True, index=True)
    level: Mapped[int]

    competence: Mapped[Competence] = relationship(lazy="joined")


class CoursePosition(db.Model):
    """A position kind a course is meant for; a course with none is open to every position."""
    __tablename__ = "training_course_position"
    __table_args__ = (CheckConstraint("position_kind IN ('pelaksana', 'pengawas', 'administrator', 'fungsional')",
                                      name="position_kind"),)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), primary_key=True)
    position_kind: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
