"""The factories of the areas, for notifications about their rows, and a way to act as the engine does
when it reports changed assignments."""
import pytest

from plaju.database import utcnow
from plaju.extensions import db as _db
from plaju.workflow.engine import Context, spec_for
from plaju.workflow.signals import assignments_changed
from tests.documents.conftest import doc_types, make_request  # noqa: F401  (fixtures)
from tests.training.conftest import camat_away, enrol, make_course  # noqa: F401  (fixtures)


def step_taken(entity, trigger, actor, assignees, comment=None, commit=True):
    """Move `entity` along `trigger` and send `assignments_changed` in the same transaction, as the
    engine does inside fire(); `trigger=None` is the creation of the row."""
    spec = spec_for(entity)
    step = spec.step_by_trigger[trigger] if trigger else None
    from_state = getattr(entity, spec.state_attr)
    ctx = None
    if step is not None:
        setattr(entity, spec.state_attr, step.dest)
        ctx = Context(actor=actor, acting_for=None, delegation=None, comment=comment, data={}, now=utcnow())
    assignments_changed.send(spec, entity=entity, step=step, from_state=from_state if step else None, ctx=ctx,
                             assignees=list(assignees))
    if commit:
        _db.session.commit()


@pytest.fixture()
def with_emails(db, users):
    for name, user in users.items():
        user.email = f"{name}@plaju.local"
    db.session.commit()
    return users
