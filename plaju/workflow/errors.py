class Refused(Exception):
    """An action the engine would not perform. `message` is for the user; `status` for HTTP."""
    status = 403

    def __init__(self, message, *, code: str = "refused"):
        super().__init__(str(message))
        self.message = message
        self.code = code


class NotAllowed(Refused):
    status = 403


class Invalid(Refused):
    """The request itself is incomplete (missing comment, wrong password)."""
    status = 422


class Conflict(Refused):
    """Someone else changed the record since the user loaded the page."""
    status = 409

    def __init__(self, message, *, by=None, at=None):
        super().__init__(message, code="conflict")
        self.by = by
        self.at = at
