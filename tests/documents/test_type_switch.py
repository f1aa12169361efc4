"""Switching the document type on the intake form keeps what was typed, and puts it back only where it was
typed (documents/intake_form.py): posts as the page's htmx sends them, the whole form with its hidden inputs."""
from html.parser import HTMLParser

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from plaju.documents.models import DocumentRequest
from plaju.once import new_token
from tests.documents.conftest import valid_nik

HX = {"HX-Request": "true"}


class _Sent(HTMLParser):
    """What a browser's form sends from this HTML: inputs, ticked boxes, each select's chosen option."""

    def __init__(self, html):
        super().__init__()
        self.sent, self._select, self._first = MultiDict(), None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.sent.add(a["name"], a.get("value") or "")
        elif tag == "select":
            self._select, self._first = a.get("name"), None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                self.sent.add(self._select, a.get("value", ""))
                self._select = None

    def handle_endtag(self, tag):
        if tag == "select" and self._select:  # none selected: the browser sends the first option
            self.sent.add(self._select, self._first or "")
            self._select = None


def _switch(client, shown_html, to_type, typed=None):
    """The clerk types `typed` into the fields `shown_html` shows, then chooses `to_type` in the select."""
    sent = _Sent(shown_html).sent
    for name, value in (typed or {}).items():
        sent.setlist(name, value if isinstance(value, list) else [value])
    sent["type_id"] = str(to_type.id)
    response = client.post("/documents/new/checklist", data=sent, headers=HX)
    assert response.status_code == 200
    return response.text


def _value(html, name) -> str | None:
    values = _Sent(html).sent.getlist(name)
    return values[0] if values else None


def test_switching_types_and_back_keeps_what_was_typed_where_it_was_typed(client, login_as, doc_types, db):
    login_as("clerk")
    sktm, akta = doc_types["sktm"], doc_types["akta-lahir"]
    page = client.get("/documents/new").text
    assert 'name="shown_type" value=""' in page  # the page without a type: nothing shown yet
    first = _switch(client, '<input type="hidden" name="shown_type" value="">', sktm)
    # Keperluan typed for the SKTM, then the Akta chosen: its form has no Keperluan
    on_akta = _switch(client, first, akta, {"purpose": "Beasiswa"})
    assert 'id="purpose"' not in on_akta and _value(on_akta, "s_name") == ""
    # the baby's name and a ticked requirement for the Akta, then back to the SKTM
    ticked = str(akta.requirements[0].id)
    back = _switch(client, on_akta, sktm, {"s_name": "Bayi Permata", "requirements": [ticked]})
    assert _value(back, "purpose") == "Beasiswa"
    assert _value(back, "s_name") == "" and "Bayi Permata" not in _Sent(back).sent.getlist("s_name")  # no "person"
    assert ticked not in _Sent(back).sent.getlist("requirements")
    # and to the Akta again: the baby and the tick are there
    akta_again = _switch(client, back, akta)
    assert _value(akta_again, "s_name") == "Bayi Permata"
    assert f'value="{ticked}" id="req-{ticked}" checked' in akta_again
    # a box unticked on its own type stays unticked after a round trip
    sent = _Sent(akta_again).sent
    sent.setlist("requirements", [])
    unticked = client.post("/documents/new/checklist", data={**sent.to_dict(flat=False), "type_id": str(sktm.id)},
                           headers=HX).text
    assert f'id="req-{ticked}" checked' not in _switch(client, unticked, akta)
    # the SKTM taken in from this form: its purpose, and nothing of the baby
    fields = _Sent(back).sent
    for key, value in {"nik": valid_nik(female=True), "name": "Rina Marlina", "kelurahan": "Talang Putri",
                       "type_id": str(sktm.id), "form_token": new_token(), "address": "Jl. Sentosa No. 7",
                       "birth_place": "Palembang"}.items():
        fields[key] = value
    fields.setlist("requirements", [str(r.id) for r in sktm.requirements])
    assert client.post("/documents/new", data=fields).status_code == 303
    req = db.session.scalars(select(DocumentRequest)).one()
    assert req.purpose == "Beasiswa" and req.subject == {"same": True}


def test_a_field_both_types_ask_for_follows_the_switch(client, login_as, doc_types):
    """The purpose and the person an SKTM or a domisili letter is for mean the same on both."""
    login_as("clerk")
    sktm, domisili, usaha = doc_types["sktm"], doc_types["domisili"], doc_types["domisili-usaha"]
    first = _switch(client, '<input type="hidden" name="shown_type" value="">', sktm)
    typed = {"purpose": "Beasiswa", "address": "Jl. Sentosa No. 7", "s_name": "Rudi Hartono"}
    on_domisili = _switch(client, first, domisili, typed)
    assert _value(on_domisili, "purpose") == "Beasiswa" and _value(on_domisili, "address") == "Jl. Sentosa No. 7"
    assert _value(on_domisili, "s_name") == "Rudi Hartono"
    # a business letter asks for the business's name: the person's name does not land there
    on_usaha = _switch(client, on_domisili, usaha)
    assert _value(on_usaha, "purpose") == "Beasiswa" and _value(on_usaha, "s_name") == ""


def test_without_javascript_a_changed_type_never_takes_the_other_types_fields(client, login_as, doc_types, db):
    """The select changed and the form sent at once: the baby's fields are asked, not filled from the SKTM."""
    login_as("clerk")
    sktm, akta = doc_types["sktm"], doc_types["akta-lahir"]
    data = {"nik": valid_nik(female=True), "name": "Rina Marlina", "kelurahan": "Talang Putri",
            "type_id": str(akta.id), "shown_type": str(sktm.id), "form_token": new_token(),
            "requirements": [str(r.id) for r in akta.requirements], "purpose": "Beasiswa",
            "s_same_sent": "1", "s_name": "Rudi Hartono", "s_place": "Palembang",
            "kept.birth.s_sex": "P", "kept.evil.s_name": "<b>x</b>"}
    refused = client.post("/documents/new", data=data)
    assert refused.status_code == 422 and "Isikan nama bayi." in refused.text
    assert _value(refused.text, "s_name") == "" and _value(refused.text, "s_sex") == "P"
    assert "kept.evil" not in refused.text  # only what the form may keep comes back
    assert db.session.scalars(select(DocumentRequest)).first() is None
    # "Show the requirements" (no JavaScript) switches like the select does
    shown = client.post("/documents/new", data={**data, "refresh": "1"})
    assert shown.status_code == 200 and 'name="kept.applicant.purpose" value="Beasiswa"' in shown.text
    back = client.post("/documents/new", data={**_Sent(shown.text).sent.to_dict(flat=False),
                                               "type_id": str(sktm.id), "refresh": "1"})
    assert _value(back.text, "purpose") == "Beasiswa" and _value(back.text, "s_name") == "Rudi Hartono"
