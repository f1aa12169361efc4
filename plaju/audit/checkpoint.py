"""Signed checkpoints of the chain's head, kept outside the database.

One line per checkpoint, appended to PLAJU_AUDIT_CHECKPOINT_FILE and mailed to the auditors:

    checkpoint <seq> <head hash> <UTC time> <HMAC-SHA256 of the first four fields with the audit key>

A checkpoint proves that the log held at least <seq> events ending in <head hash> at that time, so a
deleted tail, an emptied table or a rewritten chain is found by `audit verify`. Events newer than
the newest checkpoint are not covered. Anyone holding the key can check a line by hand:
    printf '%s' "checkpoint 57 <hash> 2026-11-29T12:00:00Z" | openssl dgst -sha256 -hmac "$PLAJU_AUDIT_KEY"
"""
import hmac
import logging
import os
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from ..database import utcnow
from ..i18n import gettext as _
from .models import mac

log = logging.getLogger(__name__)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_LINE = re.compile(r"checkpoint (\d{1,18}) ([0-9a-f]{64}) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) ([0-9a-f]{64})")


class CheckpointError(RuntimeError):
    pass


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime  # naive UTC, like utcnow()
    line_no: int = 0

    @property
    def at_text(self) -> str:
        from ..i18n import wib_text  # the office's time, as every page writes it
        return wib_text(self.at)

    def message(self) -> str:
        return f"checkpoint {self.seq} {self.hash} {self.at.strftime(TIME_FORMAT)}"

    def line(self, key: str) -> str:
        return f"{self.message()} {mac(key, self.message())}"


def read(path: str | Path, key: str) -> tuple[list[Checkpoint], list[int]]:
    """The checkpoints in file order and the numbers of lines that are not a correctly signed
    checkpoint (altered, forged without the key, or signed with another key)."""
    path = Path(path)
    if not path.exists():
        return [], []
    found, bad = [], []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line_no, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            match = _LINE.fullmatch(line)
            if match is None:
                bad.append(line_no)
                continue
            seq, head_hash, at, signature = match.groups()
            checkpoint = Checkpoint(int(seq), head_hash, datetime.strptime(at, TIME_FORMAT), line_no)
            if hmac.compare_digest(signature, mac(key, checkpoint.message())):
                found.append(checkpoint)
            else:
                bad.append(line_no)
    return found, bad


def append(path: str | Path, checkpoint: Checkpoint, key: str) -> str:
    """Append one signed line. The file is only ever opened for appending, so it may carry
    `chattr +a` (or belong to another user with a group-writable append-only set-up)."""
    line = checkpoint.line(key)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return line


def mail(line: str, checkpoint: Checkpoint) -> list[str]:
    """Mail the line to PLAJU_AUDIT_CHECKPOINT_MAILTO when mail is configured; returns the recipients."""
    config = current_app.config
    recipients = [a.strip() for a in config.get("AUDIT_CHECKPOINT_MAILTO", "").split(",") if a.strip()]
    if not config.get("MAIL_SERVER") or not recipients:
        return []
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = ", ".join(recipients)
    message["Subject"] = _("Audit log checkpoint #%(seq)s", seq=checkpoint.seq)
    message.set_content(_(
        "The audit log of the Plaju intranet held %(seq)s events at %(at)s. Keep this line: "
        "`flask --app plaju audit verify` compares the log with it.", seq=checkpoint.seq,
        at=checkpoint.at_text) + "\n\n" + line + "\n")
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise CheckpointError(f"checkpoint written but not mailed: {exc}") from exc
    return recipients


def now() -> datetime:
    # whole seconds: the line carries no more
    return utcnow().replace(microsecond=0)
