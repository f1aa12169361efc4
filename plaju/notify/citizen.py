"""Updates to citizens about their requests, through the outbox: the phone gateway chosen in
configuration (PLAJU_CITIZEN_GATEWAY: form_gateway or whatsapp_cloud) and e-mail when the citizen
gave an address and a mail server is configured.

An update carries a tracking code, a status and a date, never a NIK or a name: the caller passes only
those, and the texts are built here from them. The caller decides whether the citizen agreed to be
contacted; `enqueue_update` is called only then.
"""
import json
import re
from dataclasses import dataclass

from flask import current_app

from ..i18n import lazy_gettext as _l
from . import gateways, outbox
from .phone import InvalidPhone, normalise_msisdn

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[^@\s]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")
EMAIL_MAX = 200


class InvalidEmail(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def normalise_email(raw: str | None) -> str:
    """The address trimmed (the domain lower-cased), '' when none was given; InvalidEmail otherwise."""
    value = (raw or "").strip()
    if not value:
        return ""
    if len(value) > EMAIL_MAX or not value.isascii() or not EMAIL.match(value):
        raise InvalidEmail(_l("Enter an e-mail address such as nama@contoh.id, or leave the field empty."))
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True)
class Update:
    """One update: `text` for SMS, WhatsApp gateways and e-mail; code, status and date are also the
    three parameters of the WhatsApp template."""
    code: str
    status: str
    date: str
    text: str
    subject: str


def phone_channel() -> str | None:
    """The configured phone gateway, or None when phone messages are off or not set up."""
    name = current_app.config.get("CITIZEN_GATEWAY") or ""
    if name in gateways.PHONE_CHANNELS and outbox.channel_configured(name):
        return name
    return None


def email_on() -> bool:
    """Whether updates go to a citizen's e-mail address (a mail server is configured)."""
    return outbox.channel_configured("email")


def template_body(update: Update) -> str:
    return json.dumps({"parameters": [update.code, update.status, update.date], "text": update.text},
                      ensure_ascii=False)


def enqueue_update(update: Update, *, phone: str = "", email: str = "") -> list:
    """Queue the update for the citizen's phone and e-mail in the current transaction; it is sent after
    the commit and retried by the outbox. Returns the queued OutboxMessage rows."""
    queued = []
    channel = phone_channel()
    if phone and channel:
        try:
            number = normalise_msisdn(phone)
        except InvalidPhone:
            number = None  # taken before numbers were checked: nothing to send to
        if number:
            body = template_body(update) if channel == gateways.WhatsAppCloudChannel.name else update.text
            queued.append(outbox.enqueue(channel, number, update.subject, body))
    if email and email_on():
        queued.append(outbox.enqueue("email", email, update.subject, update.text))
    return queued
