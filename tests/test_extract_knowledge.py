"""knowledge/agreements/ loads, every pattern cites a real source agreement, bad entries fail loudly."""

from __future__ import annotations

import re

import pytest

from disentangle.errors import KnowledgeError
from disentangle.extract import validate_knowledge
from disentangle.extract._knowledge import (
    _compile,
    clauses,
    families,
    functions,
    parties,
    phrase_regex,
    templates,
)
from disentangle.extract._template import available_templates, load_template


def test_every_knowledge_file_loads() -> None:
    validate_knowledge()
    assert {k.kind for k in families().kinds} >= {"287g-jem", "287g-wso", "287g-tfm", "tff-mou", "igsa"}
    assert {f.code for f in functions()} >= {
        "interrogate", "arrest_warrantless", "serve_warrants", "detainers", "process", "charging_documents",
        "transport", "database_access",
    }  # fmt: skip
    assert set(clauses()) == {
        "effective",
        "term",
        "termination",
        "suspension",
        "obligations",
        "reimbursement",
        "addenda",
    }
    assert [r.revision for r in templates().revisions][:4] == [
        "2025-02-12",
        "2025-02-14",
        "2025-02-15",
        "2025-03-07",
    ]
    assert parties().field_offices


def test_built_templates_load_and_cite_members() -> None:
    names = available_templates()
    assert "287g-tfm-2025" in names and "287g-wso-2019-2020" in names
    for name in names:
        template = load_template(name)
        assert template is not None and template.members >= 3
        assert all("://www.ice.gov/doclib/287gMOA/" in m["url"] for m in template.built_from)
        assert all(c.support >= 0.5 for c in template.clauses)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"phrase": "x", "source": "clay-jem-2020"}, "no id"),
        ({"id": "a", "source": "clay-jem-2020"}, "exactly one of phrase or regex"),
        (
            {"id": "a", "phrase": "x", "regex": "y", "source": "clay-jem-2020"},
            "exactly one of phrase or regex",
        ),
        ({"id": "a", "regex": "(unclosed", "source": "clay-jem-2020"}, "bad regex"),
        ({"id": "a", "phrase": "x", "source": "nowhere"}, "unknown source"),
        ({"id": "a", "phrase": "x"}, "needs a source"),
        ({"id": "a", "phrase": "x", "source": "clay-jem-2020", "where": "footer"}, "where must be"),
    ],
)
def test_bad_entries_name_the_file_and_problem(entry: dict[str, object], problem: str) -> None:
    with pytest.raises(KnowledgeError, match=re.escape(problem)) as raised:
        _compile(entry, "clauses.yaml")
    assert "clauses.yaml" in str(raised.value)


@pytest.mark.parametrize(
    ("phrase", "text", "matches"),
    [
        ("at the LEA's expense", "at the LEA' s expense", True),
        ("at the LEA's expense", "at theLEA’s expense", True),
        ("terms and conditions", "tenns and conditions", True),  # OCR "m" -> "nn"
        ("officers or employees", "o f f i c e r s o r e m p l o y e e s", True),
        ("287 (g) Task Force Model", "287(g) Task Force Model", True),
        ("at the LEA's expense", "at ICE's expense", False),
        ("terms and conditions", "conditions and terms", False),
    ],
)
def test_phrase_regex_tolerates_print_damage_only(phrase: str, text: str, matches: bool) -> None:
    assert bool(re.search(phrase_regex(phrase), text, re.IGNORECASE)) is matches


def test_public_surface_is_sorted_and_real() -> None:
    import disentangle.extract as extract

    # isort-style, as ruff's RUF022 keeps it: constants, then classes, then functions, each sorted.
    def order(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert extract.__all__ == sorted(extract.__all__, key=order)
    assert all(hasattr(extract, name) for name in extract.__all__)


def test_a_label_cut_at_an_unquoted_comma_is_refused() -> None:
    """In a YAML flow mapping an unquoted comma ends a label and makes the rest a key of its own."""
    from disentangle.errors import KnowledgeError
    from disentangle.extract._knowledge import _compile

    entry = {
        "id": "obligation.example",
        "phrase": "shall pay travel",
        "label": "The LEA pays travel",
        "housing and per diem for the required training": None,
        "source": "clay-jem-2020",
    }
    with pytest.raises(KnowledgeError, match="'housing and per diem for the required training' is not a key"):
        _compile(entry, "clauses.yaml")
