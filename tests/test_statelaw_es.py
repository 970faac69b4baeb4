"""Scorecard evidence in Spanish: state-law summaries carry our Spanish as data (quotes never translated),
and the registry's evidence comes as a sentence code with values that the pages word in their language."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from disentangle.assess import load_state_laws, load_toolkit
from disentangle.assess._scorecard import EVIDENCE_CODES
from disentangle.assess._statelaw import STATELAW_DIR, parse_state_laws
from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.web import create_app
from disentangle.workspace import Workspace

PLACEHOLDER = re.compile(r"%\(\w+\)s")


@pytest.fixture(scope="module")
def client(registry: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(registry, cache_seconds=60.0), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _text(page: str) -> str:
    """A page's words as a reader sees them: tags dropped, entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def test_every_state_law_summary_has_spanish() -> None:
    laws = [law for state in load_state_laws().values() for law in state]
    summaries = 0
    for law in laws:
        for item in (*law.effects, *law.penalties):
            if item.summary:
                summaries += 1
                spanish = item.translations["es"]["summary"]
                assert spanish.strip() and spanish != item.summary, (law.id, item.provision)
            else:
                assert not item.translations
    assert summaries >= 14


def test_quotes_are_never_translated() -> None:
    for state in load_state_laws().values():
        for law in state:
            for effect in law.effects:
                assert set(effect.translations.get("es", {})) <= {"summary"}
    for path in sorted(STATELAW_DIR.glob("*.yaml")):
        for law in load_yaml(f"statelaw/{path.name}")["laws"]:
            for effect in law.get("effects") or []:
                assert "quote" not in (effect.get("es") or {}), (path.name, effect["provision"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda effect: effect.pop("es"), r"TX\.yaml: tx-sb4-2017 effects\[2\] has a summary but no es"),
        (
            lambda effect: effect.update(es={"summary": "  "}),
            r"TX\.yaml: tx-sb4-2017 effects\[2\]\.es has an empty summary",
        ),
        (
            lambda effect: effect.update(es={"summary": "x", "quote": "y"}),
            r"TX\.yaml: tx-sb4-2017 effects\[2\]\.es must map summary",
        ),
    ],
)
def test_the_loader_refuses_a_summary_without_spanish(change: Any, message: str) -> None:
    doc = copy.deepcopy(load_yaml("statelaw/TX.yaml"))
    change(doc["laws"][0]["effects"][2])
    with pytest.raises(KnowledgeError, match=message) as error:
        parse_state_laws(doc, "knowledge/statelaw/TX.yaml", load_toolkit(), expected_state="TX")
    assert "\n" not in str(error.value)


def test_the_loader_refuses_a_penalty_without_spanish() -> None:
    doc = copy.deepcopy(load_yaml("statelaw/TX.yaml"))
    doc["laws"][0]["penalties"][0].pop("es")
    with pytest.raises(KnowledgeError, match=r"tx-sb4-2017 penalties\[0\] has a summary but no es"):
        parse_state_laws(doc, "knowledge/statelaw/TX.yaml", load_toolkit())


def test_scorecard_evidence_carries_a_sentence_code_and_its_values(registry: Workspace) -> None:
    seen = set()
    for place in ("48167", "06037"):
        card = registry.assess(place).to_dict()
        for row in card["rows"]:
            for item in row["evidence"] + row["signals"]:
                assert "code" in item and "values" in item
                if item["kind"] in ("state-law", "registry"):
                    assert item["code"] in EVIDENCE_CODES, item
                if item["code"]:
                    seen.add(item["code"])
                    assert item["code"] in EVIDENCE_CODES and item["values"]
                    assert item["summary"]  # the English sentence stays, for the CLI and JSON
    assert {"state-law", "agreement", "agreement-records", "detainers-declined"} <= seen
    tx = registry.assess("48167").to_dict()
    law = next(
        i for r in tx["rows"] for i in r["evidence"] if i["code"] == "state-law" and i["values"]["summary"]
    )
    assert law["values"]["law"] == "Texas SB 4 (2017)"
    assert law["values"]["translations"]["es"]["summary"]
    declined = next(i for r in tx["rows"] for i in r["signals"] if i["code"] == "detainers-declined")
    assert {"year", "declined", "other", "facility", "date", "label"} <= set(declined["values"])


@pytest.mark.parametrize("place", ["48167", "06037"])
def test_the_english_pages_keep_every_evidence_sentence(
    client: TestClient, registry: Workspace, place: str
) -> None:
    card = registry.assess(place).to_dict()
    full = _text(client.get(f"/en/scorecard/{place}").text)
    table = _text(client.get(f"/en/place/{place}").text)
    for row in card["rows"]:
        for item in row["evidence"] + row["signals"]:
            assert item["summary"] in full, item["summary"]
        for item in row["evidence"]:
            assert item["summary"] in table, item["summary"]


def test_the_spanish_scorecard_shows_spanish_summaries_and_english_quotes(
    client: TestClient, registry: Workspace
) -> None:
    page = client.get("/es/scorecard/48167").text
    words = _text(page)
    assert "una entidad local no puede prohibir ni limitar de forma sustancial" in words
    assert "a local entity may not prohibit" not in words
    assert '<span lang="en">Texas SB 4 (2017), Gov&#39;t Code § 752.053(b)</span>' in page
    card = registry.assess("48167").to_dict()
    quotes = {i["quote"] for r in card["rows"] for i in r["evidence"] if i["quote"]}
    assert quotes
    for quote in quotes:  # verbatim, and marked as English for a reader of the Spanish page
        assert f'<blockquote lang="en">{escape(quote)}</blockquote>' in page
