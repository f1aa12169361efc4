"""Rules every form of the app keeps."""
import importlib
import pkgutil

from wtforms import DateField, DateTimeLocalField
from wtforms.validators import DataRequired

import plaju
from plaju.forms import PlajuForm


def _every_form_class():
    for module in pkgutil.walk_packages(plaju.__path__, "plaju."):
        importlib.import_module(module.name)
    seen, todo = set(), [PlajuForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return seen


def test_a_required_date_says_when_what_was_typed_is_not_a_date():
    """DataRequired clears the field's "not a valid date" and says "fill in the date" of a date that was
    typed (2026-02-30): a required date asks InputRequired, which lets the parser's message through."""
    hiding = []
    for form in _every_form_class():
        for name, field in vars(form).items():
            if getattr(field, "field_class", None) in (DateField, DateTimeLocalField):
                validators = field.kwargs.get("validators") or (field.args[1] if len(field.args) > 1 else ())
                if any(isinstance(v, DataRequired) for v in validators):
                    hiding.append(f"{form.__module__}.{form.__name__}.{name}")
    assert hiding == []


def test_an_impossible_start_date_of_a_stand_in_is_called_so(client, login_as, users):
    login_as("admin")
    refused = client.post("/people/delegations", data={
        "principal_id": users["kasi"].id, "delegate_id": users["kasi2"].id, "kind": "plh",
        "starts_on": "2026-02-30", "ends_on": "2026-03-02", "order_number": "800/1/2026", "order_date": "2026-02-27"})
    assert refused.status_code == 422
    assert "Tanggal tidak sah" in refused.text and "Isi tanggal mulai" not in refused.text
