"""The base of every form: WTForms' own messages ("Not a valid choice.") in the user's language, and
the input boundary (plaju.inputs) for every text field: NFC, no control characters, a length bound.

WTForms ships no Indonesian catalog, so its messages are listed below for pybabel to extract into
ours, and PlajuForm looks them up there.
"""
from flask import g, has_request_context, request
from flask_babel import get_translations, lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, StopValidation

from .i18n import lazy_gettext as _l
from .inputs import TEXT_MAX, InputRefused, check_text, nfc, one_line

_NOT_SENT = ("CSRFTokenField", "FileField", "MultipleFileField", "SubmitField")
STRING_MAX = 255  # the widest String(n) column a form field without its own Length writes to

WTFORMS_MESSAGES = (
    _l("Invalid field name '%s'."), _l("Field must be equal to %(other_name)s."),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 1),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("Field must be exactly %(max)d character long.",
                  "Field must be exactly %(max)d characters long.", 1),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."), _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."), _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."), _l("Date must be between %(min)s and %(max)s."),
    _l("This field is required."), _l("Invalid input."), _l("Invalid email address."),
    _l("Invalid IP address."), _l("Invalid Mac address."), _l("Invalid URL."), _l("Invalid UUID."),
    _l("Invalid value, must be one of: %(values)s."), _l("Invalid value, can't be any of: %(values)s."),
    _l("This field cannot be edited."), _l("This field is disabled and cannot have a value."),
    _l("Invalid CSRF Token."), _l("CSRF token missing."), _l("CSRF failed."), _l("CSRF token expired."),
    _l("Invalid Choice: could not coerce."), _l("Choices cannot be None."), _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 1),
    _l("Not a valid datetime value."), _l("Not a valid date value."), _l("Not a valid time value."),
    _l("Not a valid week value."), _l("Not a valid integer value."), _l("Not a valid decimal value."),
    _l("Not a valid float value."),
)


class _Catalog:
    """What WTForms asks for: gettext/ngettext without formatting (WTForms formats itself)."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


def _text_guard(form, field):
    """Single-line fields take tabs and line breaks as spaces (a password refuses them); every text field has a
    length bound: its own Length validator (set from the column's String(n)), else TEXT_MAX for text areas
    and STRING_MAX for single lines."""
    if not isinstance(field.data, str):
        return
    multiline = isinstance(field, TextAreaField)
    if not multiline and not isinstance(field, PasswordField):
        field.data = one_line(field.data)
    bound = None if any(isinstance(v, Length) and v.max != -1 for v in field.validators) else (
        TEXT_MAX if multiline else STRING_MAX)
    try:
        check_text(field.data, multiline=multiline, max_length=bound)
    except InputRefused as refused:
        raise StopValidation(str(refused.message)) from None


def _number_guard(form, field):
    """A whole number or an id is written with the digits 0-9, at most 9 of them (or as many as the field's
    NumberRange maximum has: a plan's cost reaches Rp 10,000,000,000): Python's int() also reads "１２",
    "١٢" and "1_0", and an id of 20 digits overflowed the database's integer (a 500)."""
    raw = str((field.raw_data or [""])[0] or "").strip()
    limit = next((len(str(int(v.max))) for v in field.validators
                  if isinstance(v, NumberRange) and v.max is not None and v.max >= 10 ** 9), 9)
    if raw and not (raw.isascii() and raw.removeprefix("-").isdigit() and len(raw) <= limit):
        if not isinstance(field, SelectField):  # a choice keeps "Not a valid choice." before it
            field.errors[:] = []  # the one message, not WTForms' "Not a valid integer value." beside it
        raise StopValidation(_l("Write a whole number with the digits 0-9 (at most %(n)s of them).", n=limit))


class _PlajuMeta:
    def get_translations(self, form):
        return _Catalog()

    def bind_field(self, form, unbound_field, options):
        field = unbound_field.bind(form=form, **options)
        if isinstance(field, StringField):  # TextAreaField and PasswordField included
            field.filters = (*field.filters, nfc)
            field.validators = [_text_guard, *field.validators]
        elif isinstance(field, IntegerField) or (isinstance(field, SelectField) and field.coerce is int):
            field.validators = [_number_guard, *field.validators]
        return field


class PlajuForm(FlaskForm):
    class Meta(_PlajuMeta):
        pass

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if has_request_context():  # audit.trace_refused_form reads its errors once the view has answered
            g.setdefault("validated_forms", []).append(self)
        return valid

    def fault_messages(self) -> list[str]:
        """What the user was told beside the fields, each after its field's label ("Nama: Isikan nama."),
        field lists flattened."""
        def flat(errors):
            for value in errors.values() if isinstance(errors, dict) else errors:
                yield from flat(value) if isinstance(value, (dict, list, tuple)) else [str(value)]
        told = []
        for name, errors in self.errors.items():
            field = self._fields.get(name)
            label = str(field.label.text) if field is not None and field.label else ""
            told += [f"{label}: {m}" if label else m for m in flat(errors if isinstance(errors, dict) else
                                                                   {name: errors})]
        return list(dict.fromkeys(told))

    def missing_fields(self) -> list[str]:
        """Fields the POST did not send at all (an empty value counts as sent). An edit form must not
        read a missing field as "empty" and wipe what is stored: the view refuses the POST instead.
        Checkboxes are only sent when ticked, so render them with field(..., always_sent=True)."""
        sent = set(request.form.keys()) | set(request.files.keys())
        missing = [f.name for f in self if f.type not in _NOT_SENT and f.name not in sent]
        if missing:  # refused by the view: audit.trace_refused_form records it
            g.form_missing = missing
        return missing
