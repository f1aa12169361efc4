"""An HTMX answer is one block of a page rendered alone (jinja2_fragments): the page's top-level imports and
macros are not run then, so a block that uses one must import it itself. The enrolment page's block used
`revoke_form` from the top only: the Camat's signature over HTMX answered 500 though the certificate was issued."""
from pathlib import Path

import pytest
from jinja2 import nodes

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "training"


def _own(node):
    """A block's own nodes: not those of a block nested in it, which is rendered by its own function."""
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.Block):
            continue
        yield child
        yield from _own(child)


def _bound(node) -> set[str]:
    """The names an import, macro or assignment among `node`'s own nodes binds."""
    names = set()
    for each in [node, *_own(node)]:
        if isinstance(each, nodes.FromImport):
            names |= {n[1] if isinstance(n, tuple) else n for n in each.names}
        elif isinstance(each, nodes.Import):
            names.add(each.target)
        elif isinstance(each, nodes.Macro):
            names.add(each.name)
        elif isinstance(each, nodes.Assign):
            names |= {n.name for n in each.target.find_all(nodes.Name)} | (
                {each.target.name} if isinstance(each.target, nodes.Name) else set())
    return names


def _missing(app, path: Path) -> dict[str, set[str]]:
    """Per block: the names bound only at the template's top level that the block uses without binding."""
    tree = app.jinja_env.parse(path.read_text(encoding="utf-8"))
    top = set().union(*(_bound(n) for n in tree.body if not isinstance(n, nodes.Block)), set())
    missing = {}
    for block in tree.find_all(nodes.Block):
        used = {n.name for n in _own(block) if isinstance(n, nodes.Name) and n.ctx == "load"}
        if lacking := (used & top) - _bound(block):
            missing[block.name] = lacking
    return missing


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_every_block_imports_what_it_uses(app, path):
    assert _missing(app, path) == {}


def test_the_check_sees_a_block_that_leans_on_a_top_level_import(app, tmp_path):
    page = tmp_path / "page.html"
    page.write_text('{% extends "base.html" %}{% from "letters/_revoke.html" import revoke_form %}'
                    '{% block main %}{{ revoke_form(letter, True) }}{% endblock %}')
    assert _missing(app, page) == {"main": {"revoke_form"}}
