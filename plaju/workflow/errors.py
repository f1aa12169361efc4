class Refused(Exception):
    """An action the engine would not perform. `message` is for the user; `status` for HTTP. `alarming`:
    whether the refusal is about authority (the history shows it as a refusal) or only about what was
    sent, or sent late (the history shows a step not taken yet, without alarm)."""
    status = 403
    alarming = True

    def __init__(self, message, *, code: str = "refused", faults: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.faults = faults or {}  # field -> message, for the step's form to mark each faulty field


class NotAllowed(Refused):
    status = 403


class Invalid(Refused):
    """The request itself is incomplete (missing comment, wrong password)."""
    status = 422

    @property
    def alarming(self) -> bool:
        return self.code == "reauth"  # a wrong password at a signature may be someone else trying


class Conflict(Refused):
    """Someone else changed the record since the user loaded the page."""
    status = 409
    alarming = False

    def __init__(self, message, *, by=None, at=None, fact=None):
        super().__init__(message, code="conflict")
        self.by = by
        self.at = at
        self.fact = fact or message  # who acted first and when, without what the page now shows
