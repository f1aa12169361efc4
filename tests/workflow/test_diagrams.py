"""docs/workflows shows the specs as they are in the code."""
from pathlib import Path

from plaju.workflow.diagram import mermaid
from plaju.workflow.engine import all_specs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "workflows"


def test_every_product_workflow_has_an_up_to_date_diagram(app):
    with app.app_context():
        product = [s for s in all_specs() if s.model.__module__.startswith("plaju.")]
        for spec in product:
            path = DOCS / f"{spec.name}.md"
            assert path.exists(), f"run: flask --app plaju workflow diagrams ({path.name} missing)"
            assert path.read_text(encoding="utf-8") == mermaid(spec), (
                f"{path.name} is stale: run flask --app plaju workflow diagrams")


def test_the_diagram_names_every_step_and_who_may_take_it(app):
    from tests.support import DEMO_SPEC
    with app.app_context():
        text = mermaid(DEMO_SPEC)
    assert "approved --> signed : Sign [camat] (password, Plh ok, four eyes)" in text
    assert "submitted --> rejected : Reject [section_head,camat] (reason)" in text
