"""Rules of the one workflow UI: every action has words, no template knows a trigger, specs say their forms."""
import re
from pathlib import Path

import pytest

from plaju.audit import vocabulary
from plaju.workflow import Spec, State, Step, roles
from plaju.workflow.engine import all_specs
from plaju.workflow.spec import SpecError

ROOT = Path(__file__).resolve().parents[2]


def test_every_step_of_every_spec_and_every_recorded_action_reads_as_a_sentence(app):
    actions = {f"{spec.name}.{step.trigger}" for spec in all_specs() for step in spec.steps
               if spec.model.__module__.startswith("plaju.")}  # not the tests' own demo spec
    for path in (ROOT / "plaju").rglob("*.py"):  # the actions the code records by name
        actions.update(re.findall(r"record(?:_alone)?\(\s*\"([a-z_]+\.[a-z_]+)\"", path.read_text()))
        actions.update(re.findall(r"\"([a-z_]+\.[a-z_]+)\" if ", path.read_text()))
        actions.update(re.findall(r" else \"([a-z_]+\.[a-z_]+)\"", path.read_text()))
    actions = {a for a in actions if not a.startswith(("test.", "os.", "re."))}
    assert {"document.sign", "auth.login", "user.update", "delegation.revoke", "enrolment.request"} <= actions
    missing = sorted(actions - vocabulary.known_actions())
    assert missing == []
    with app.test_request_context():
        assert vocabulary.action_label("document.sign") == "menandatangani dokumen"
        # HR tells every action from the others in the "kind of action" choice: no two share their words
        said = {}
        for action in vocabulary.known_actions():
            said.setdefault(vocabulary.action_label(action), []).append(action)
        assert {label: names for label, names in said.items() if len(names) > 1} == {}


def test_every_kind_of_action_has_a_name_in_the_audit_search(app, client, login_as):
    """HR chooses "All: <kind>" in /audit/: each kind in the office's words, never a code like training_plan."""
    unnamed = sorted({action.split(".")[0] for action in vocabulary.known_actions()} - vocabulary.known_kinds())
    assert unnamed == []
    login_as("hr")
    page = client.get("/audit/").get_data(as_text=True)
    assert "Semua: Katalog pelatihan" in page and "Semua: Buku agenda surat" in page
    assert not re.search(r"Semua: [a-z_]+<", page)


def test_no_template_branches_on_a_trigger_name():
    triggers = {step.trigger for spec in all_specs() for step in spec.steps}
    states = {state.name for spec in all_specs() for state in spec.states}
    only_triggers = triggers - states  # "approved" is a state; "approve" only a trigger
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = " ".join(re.findall(r"\{[%{].*?[%}]\}", path.read_text(), re.S))  # the template's own code
        if re.search(r"\.trigger\s*(==|!=|in\b)", text):
            offenders.append(f"{path.name}: compares .trigger")
        for name in only_triggers:
            if re.search(rf"[\"']{name}[\"']", text):
                offenders.append(f"{path.name}: {name}")
    assert offenders == []


class Row:
    pass


@pytest.mark.parametrize("step,message", [
    (Step("go", "a", "b", "Go", who=roles("clerk"), form=("reason",)), "does not match"),
    (Step("go", "a", "b", "Go", who=roles("clerk"), reauth=True, form=("note",)), "does not match"),
    (Step("go", "a", "b", "Go", who=roles("clerk"), form=("signature",)), "unknown form fields"),
])
def test_a_step_form_that_disagrees_with_the_engine_is_refused_when_the_spec_is_built(step, message):
    with pytest.raises(SpecError, match=message):
        Spec("bad", Row, [State("a", "A"), State("b", "B", terminal=True)], [step], initial="a")


def test_forms_default_from_the_step_and_tones_are_known():
    assert Step("x", "a", "b", "X", who=roles("hr"), comment_required=True, reauth=True).form == ("reason", "password")
    assert Step("x", "a", "b", "X", who=roles("hr")).form == ()
    with pytest.raises(SpecError, match="unknown tone"):
        Spec("bad", Row, [State("a", "A", tone="pink"), State("b", "B", terminal=True)],
             [Step("go", "a", "b", "Go", who=roles("clerk"))], initial="a")


def test_roles_name_themselves_for_the_waiting_line(app):
    with app.test_request_context():
        assert roles("clerk", "section_head").label(None) == "Petugas loket / Kepala Seksi (Kasi)"
