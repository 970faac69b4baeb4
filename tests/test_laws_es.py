"""The records-law explanations in Spanish: our translations in knowledge/laws/records.yaml, the law box
of the records-request wizard in the page's language, and the letters that stay English."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from babel.dates import format_date
from fastapi.testclient import TestClient

from disentangle import letters
from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.letters import _laws
from disentangle.web import _i18n, create_app
from disentangle.workspace import Workspace

REQUESTER = {
    "name": "Ana Díaz",
    "organization": "Galveston Rights Watch",
    "address": "1 Main St\nGalveston, TX",
}


@pytest.fixture
def own(registry_copy: Callable[[str], Workspace]) -> Workspace:
    return registry_copy("laws-es")


@pytest.fixture
def client(own: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(own, cache_seconds=0), base_url="http://127.0.0.1") as test_client:
        yield test_client


def html_text(fragment: str) -> str:
    return fragment.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")


def agency_of(workspace: Workspace, state: str) -> str:
    agency_id: str = workspace.agreements(state=state)[0]["agency_id"]
    return agency_id


def request_form(client: TestClient, agency_id: str, prefix: str = "") -> dict[str, Any]:
    page = client.get(f"{prefix}/act/request?agency={agency_id}")
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return {"csrf_token": found.group(1), "agency": agency_id, "topic": ["agreements", "costs"], **REQUESTER}


def law_box(page: str) -> str:
    found = re.search(r'<section class="law".*?</section>', page, re.S)
    assert found, "the preview shows the law box"
    return found.group(0)


def shown(law: letters.RecordsLaw) -> list[tuple[str, Any, str]]:
    """Every (where, fact, field) of a law that a page shows in words."""
    found: list[tuple[str, Any, str]] = []
    if law.deadline is not None:
        found.append(("deadline.action", law.deadline, "action"))
        if law.deadline.standard:
            found.append(("deadline.standard", law.deadline, "standard"))
    found += [(f"milestones[{i}].action", clock, "action") for i, clock in enumerate(law.milestones)]
    for name in ("requesters", "fees", "appeal"):
        if getattr(law, name) is not None:
            found.append((name, getattr(law, name), "text"))
    return found


# ------------------------------------------------------------------------------------------ the data
def test_every_shown_explanation_has_our_spanish() -> None:
    laws = letters.records_laws()
    assert len(laws) == 52
    missing = [
        f"{code}.{where}"
        for code, law in laws.items()
        for where, fact, field in shown(law)
        if not fact.translations.get("es", {}).get(field, "").strip()
    ]
    assert missing == []
    texas = laws["TX"]
    assert texas.deadline is not None and texas.deadline.translations["es"]["standard"] == "con prontitud"
    assert texas.requesters is not None and texas.requesters.text == "any person"  # the English stays
    assert texas.requesters.translations["es"]["text"] == "cualquier persona"


def _refused(monkeypatch: pytest.MonkeyPatch, spoil: Callable[[Any], None]) -> str:
    doc = copy.deepcopy(load_yaml(_laws.LAWS_FILE))
    spoil(doc["laws"])
    monkeypatch.setattr(_laws, "load_yaml", lambda name: doc if name == _laws.LAWS_FILE else load_yaml(name))
    with pytest.raises(KnowledgeError) as raised:
        _laws.records_laws.__wrapped__()
    message = str(raised.value)
    assert "\n" not in message and "laws/records.yaml" in message
    return message


def test_the_loader_refuses_an_empty_or_unknown_field_translation(monkeypatch: pytest.MonkeyPatch) -> None:
    def empty(laws: Any) -> None:
        laws["CA"]["appeal"]["es"]["route"] = "  "

    assert _refused(monkeypatch, empty).endswith(": CA.appeal.es.route is an empty translation")

    def unknown(laws: Any) -> None:
        laws["TX"]["deadline"]["es"]["clok"] = "reloj"

    assert "TX.deadline.es names unknown field(s) clok" in _refused(monkeypatch, unknown)

    def empty_milestone(laws: Any) -> None:
        laws["TX"]["milestones"][1]["es"]["action"] = ""

    assert _refused(monkeypatch, empty_milestone).endswith(
        ": TX.milestones[1].es.action is an empty translation"
    )


# ------------------------------------------------------------------------------------------ the pages
def test_the_spanish_law_box_shows_our_translations_and_a_spanish_weekday(
    client: TestClient, own: Workspace
) -> None:
    for state in ("TX", "CA"):
        law = letters.records_law(state)
        agency = agency_of(own, state)
        page = client.post("/es/act/request/preview", data=request_form(client, agency, "/es"))
        assert page.status_code == 200, page.text[:300]
        box = law_box(page.text)
        assert f'<span lang="en">{html_text(law.label)}</span>' in box  # the statute's name stays English
        assert "La ley:" in box and "The law:" not in box
        deadline = letters.deadline_for(law, date.today())
        for where, fact, field in shown(law):
            if where == "deadline.action" and deadline.date is None:
                continue  # what is due by a date, shown only with a date
            assert html_text(fact.translations["es"][field]) in box, f"{state}.{where}"
            english = getattr(fact, field)
            if len(english) > 20:
                assert html_text(english) not in box, f"{state}.{where} shows English"
        if deadline.date is None:  # Texas: "promptly", with its dated milestones
            assert "Sin fecha fija." in box and "con prontitud" in box
        else:
            weekday = format_date(deadline.date, "EEEE", locale="es")
            assert f"({weekday}), si se recibe hoy:" in box
            assert deadline.date.strftime("%A") not in box


def test_the_spanish_step_two_explains_the_law_in_spanish(client: TestClient, own: Workspace) -> None:
    page = client.get(f"/es/act/request?agency={agency_of(own, 'TX')}").text
    assert "Esta ley (" in page and "no fija un número de días: con prontitud." in page
    assert 'id="residence-hint">cualquier persona' in page


def test_the_english_law_box_is_unchanged(client: TestClient, own: Workspace) -> None:
    law = letters.records_law("CA")
    page = client.post("/act/request/preview", data=request_form(client, agency_of(own, "CA"))).text
    box = law_box(page)
    assert f'The law: <span lang="en">{html_text(law.label)}</span>' in box
    deadline = letters.deadline_for(law, date.today())
    assert deadline.date is not None and law.deadline is not None
    assert f"({deadline.date.strftime('%A')}) if received today: {html_text(law.deadline.action)}" in box
    for _where, fact, field in shown(law):
        assert html_text(getattr(fact, field)) in box
        assert html_text(fact.translations["es"][field]) not in box


# ------------------------------------------------------------------------------------------ the letters
@pytest.mark.parametrize("state", ["TX", "CA"])
def test_the_letter_drafted_on_a_spanish_page_is_byte_identical_to_the_english(
    client: TestClient, own: Workspace, state: str
) -> None:
    agency = agency_of(own, state)
    english = client.post("/act/request/letter.md", data=request_form(client, agency))
    spanish = client.post("/es/act/request/letter.md", data=request_form(client, agency, "/es"))
    assert english.status_code == spanish.status_code == 200
    assert english.content and english.content == spanish.content
    # The preview shows the same English letter on both pages.
    previews = [
        client.post(f"{prefix}/act/request/preview", data=request_form(client, agency, prefix)).text
        for prefix in ("", "/es")
    ]
    letters_shown = [re.search(r'<article class="letter".*?</article>', p, re.S) for p in previews]
    assert all(letters_shown)
    assert letters_shown[0].group(0) == letters_shown[1].group(0)  # type: ignore[union-attr]
    # The letters stage itself drafts the same English whatever language the pages speak.
    args = (agency, ["agreements"], letters.Requester(name="Ana Díaz"))
    first = own.preview_request(*args, today=date(2026, 3, 2))
    with _i18n.speaking("es"):
        second = own.preview_request(*args, today=date(2026, 3, 2))
    assert first.markdown.encode() == second.markdown.encode()
    assert first == second
