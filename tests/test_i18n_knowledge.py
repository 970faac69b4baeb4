"""Spanish pages translate the prose of the knowledge files as data (detainer outcomes, the program
timeline, the click-and-arrest model, the dataset notes, the discovery campaigns): every entry has its
Spanish, a loader refuses an empty or misnamed translation, the Spanish detainer page shows it, the English
page is unchanged, and quotations stay verbatim, in English, marked lang="en"."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from disentangle import assess
from disentangle.assess import _click_arrest, _detainers, _program_history
from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.knowledge._translations import translations
from disentangle.letters import _campaigns
from disentangle.letters._campaigns import campaign_topics
from disentangle.web import create_app
from disentangle.workspace import Workspace

GALVESTON = "48167"  # Galveston County, TX: NPR's facility table, Secure Communities' activation


@pytest.fixture(scope="module")
def client(registry: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(registry, cache_seconds=0), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _get(client: TestClient, path: str) -> str:
    """A page as a first visit sees it: no language remembered from an earlier /es/ page."""
    client.cookies.clear()
    page = client.get(path)
    assert page.status_code == 200, path
    return page.text


def _markup(page: str) -> str:
    """The page without its inline charts (drawn by the chart module, not from these files)."""
    return html.unescape(re.sub(r"<svg\b.*?</svg>", "", page, flags=re.S))


def _text(page: str) -> str:
    """The page's text, charts and tags left out (a title marked lang="en" sits inside a sentence)."""
    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<svg\b.*?</svg>", "", page, flags=re.S)))


def _english_sentences() -> list[str]:
    """Every English sentence of these knowledge files that the detainer page shows as our prose."""
    knowledge = assess.click_arrest_knowledge()
    out = [g.description for g in assess.outcome_groups()]
    out += [g.label for g in assess.outcome_groups() if " " in g.label and g.id != "us_citizen"]
    out += [e.label for e in assess.program_history()]
    out += [p.label for p in knowledge.parameters.values()] + [
        p.measures for p in knowledge.parameters.values()
    ]
    out += [p.note for p in knowledge.parameters.values() if p.note]
    out += list(knowledge.assumptions)
    out += [note.text for note in assess.detainer_notes().values()]
    out += [d.label for d in assess.detainer_datasets().values()]
    return out


# ------------------------------------------------------------------------------------------ every entry
def test_every_outcome_group_has_its_spanish() -> None:
    for group in assess.outcome_groups():
        spanish = group.translations["es"]
        assert spanish["label"].strip() and spanish["description"].strip(), group.id
        assert spanish["description"] != group.description


def test_every_timeline_entry_has_its_spanish() -> None:
    events = assess.program_history()
    assert any(e.id.startswith("form-") for e in events), "the detainer forms are on the timeline"
    for event in events:
        spanish = event.all_translations()["es"]
        assert spanish["label"].strip() and spanish["label"] != event.label, event.id
        assert event.label_in("es") == spanish["label"] and event.label_in("en") == event.label
        if event.name:  # a form's title stays in English inside the Spanish sentence
            assert event.name in spanish["label"]
    built = _program_history.built_event(
        "sc-activated-here",
        "2009-05",
        "secure-communities",
        "sc-activated-here",
        None,
        (),
        name="Galveston County",
    )
    assert built.label == "Secure Communities switched on in Galveston County."
    assert built.label_in("es") == "Secure Communities se activó en Galveston County."
    policy = _program_history.sentence("policy-in-force", "es", name="Ordinance 11-O-73", stance="declines")
    assert policy == "En vigor: Ordinance 11-O-73 (rechaza las órdenes de detención)."
    assert (
        _program_history.sentence("policy-in-force", name="X", stance="limits")
        == "In force: X (limits detainers)."
    )
    for program in ("detainer-forms", "detainer-policy"):
        assert _program_history.program_labels()["es"][program].strip()


def test_every_error_model_text_has_its_spanish() -> None:
    knowledge = assess.click_arrest_knowledge()
    for key, parameter in knowledge.parameters.items():
        spanish = parameter.translations["es"]
        assert spanish["label"].strip() and spanish["measures"].strip(), key
        if parameter.note:
            assert spanish["note"].strip() and spanish["basis"].strip(), key
        assert "quote" not in spanish, "a quotation is never translated"
    assert len(knowledge.assumption_translations) == len(knowledge.assumptions)
    assert all(found["es"]["text"].strip() for found in knowledge.assumption_translations)
    assert all(found[1]["es"]["text"].strip() for found in knowledge.counted.values())
    ours = [r for r in knowledge.records_cited if not r.get("url")]
    assert ours and all(r["translations"]["es"]["label"].strip() for r in ours)


def test_every_dataset_note_and_campaign_has_its_spanish() -> None:
    for info in assess.detainer_datasets().values():
        assert info.translations["es"]["label"].strip() and info.translations["es"]["publisher"].strip()
    notes = assess.detainer_notes()
    assert {"declined-only", "no-data", "tied-to-counties", "agency-facilities"} <= set(notes)
    for note in notes.values():
        assert note.translations["es"]["text"].strip() and note.translations["es"]["text"] != note.text
    assert assess.note_translations(notes["declined-only"].text)["es"]["text"].startswith(
        "La tabla de centros"
    )
    topics = campaign_topics()
    assert topics
    for topic in topics.values():
        spanish = topic.translations["es"]
        assert spanish["label"].strip() and spanish["description"].strip(), topic.id
        assert topic.to_dict()["translations"] == topic.translations


# ------------------------------------------------------------------------------------------ refusals
def test_the_translation_helper_refuses_empty_and_unknown_fields() -> None:
    assert translations({"label": "x", "es": {"label": "y"}}, ("label",), "f.yaml", "e") == {
        "es": {"label": "y"}
    }
    with pytest.raises(KnowledgeError, match=r"^f\.yaml: e\.es\.label is an empty translation$"):
        translations({"es": {"label": "  "}}, ("label",), "f.yaml", "e")
    with pytest.raises(KnowledgeError, match=r"^f\.yaml: e\.es names unknown field\(s\) quote"):
        translations({"es": {"quote": "una cita"}}, ("label",), "f.yaml", "e")
    with pytest.raises(KnowledgeError, match=r"^f\.yaml: e\.es must map label to text$"):
        translations({"es": "texto"}, ("label",), "f.yaml", "e")


def _refused(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    relative: str,
    spoil: Callable[[Any], None],
    build: Callable[[], Any],
) -> str:
    """The one-line KnowledgeError a loader raises on a copy of its knowledge file spoiled by `spoil`."""
    doc = copy.deepcopy(load_yaml(relative))
    spoil(doc)
    monkeypatch.setattr(module, "load_yaml", lambda name: doc if name == relative else load_yaml(name))
    with pytest.raises(KnowledgeError) as raised:
        build()
    message = str(raised.value)
    assert "\n" not in message
    return message


def _set(path: tuple[Any, ...], value: str) -> Callable[[Any], None]:
    """A spoiler that sets the entry at `path` of a knowledge document to `value`."""

    def spoil(doc: Any) -> None:
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value

    return spoil


# (module, knowledge file, where to spoil it and with what, the loader, the start of the refusal)
REFUSALS = [
    (
        "detainers",
        "detainers/outcomes.yaml",
        (("groups", "declined", "es", "description"), ""),
        "outcome_groups",
        "detainers/outcomes.yaml: groups.declined.es.description",
    ),
    (
        "program_history",
        "programs/history.yaml",
        (("events", 0, "es", "label"), " "),
        "program_history",
        "programs/history.yaml: events[0] (287g-enacted).es.label",
    ),
    (
        "click_arrest",
        "detainers/click_arrest.yaml",
        (("parameters", "status_error_rate", "es", "quote"), "Una base de datos ..."),
        "click_arrest_knowledge",
        "detainers/click_arrest.yaml: parameters.status_error_rate.es names unknown",
    ),
    (
        "click_arrest",
        "detainers/click_arrest.yaml",
        (("assumptions", 2, "es", "text"), ""),
        "click_arrest_knowledge",
        "detainers/click_arrest.yaml: assumptions[2].es.text",
    ),
    (
        "detainers",
        "detainers/datasets.yaml",
        (("notes", "declined-only", "es", "text"), ""),
        "detainer_notes",
        "detainers/datasets.yaml: notes.declined-only.es.text",
    ),
    (
        "campaigns",
        "letters/campaigns.yaml",
        (("campaigns", 0, "es", "description"), ""),
        "campaign_topics",
        "letters/campaigns.yaml: campaigns[0] (tff-mou).es.description is an empty translation",
    ),
]


@pytest.mark.parametrize(("module", "relative", "spoil", "loader", "expected"), REFUSALS)
def test_the_loaders_refuse_an_empty_translation(
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    relative: str,
    spoil: tuple[tuple[Any, ...], str],
    loader: str,
    expected: str,
) -> None:
    owner = {
        "detainers": _detainers,
        "program_history": _program_history,
        "click_arrest": _click_arrest,
        "campaigns": _campaigns,
    }[module]
    message = _refused(monkeypatch, owner, relative, _set(*spoil), getattr(owner, loader).__wrapped__)
    assert expected in message


# ------------------------------------------------------------------------------------------ the pages
def test_the_spanish_detainer_page_shows_the_spanish_and_no_english_sentence(client: TestClient) -> None:
    page = _get(client, f"/es/detainers/{GALVESTON}")
    text = _text(page)
    for group in assess.outcome_groups():
        assert group.translations["es"]["label"] in text and group.translations["es"]["description"] in text
    assert "Secure Communities se activó en Galveston County." in text
    assert "Formulario en uso desde esta fecha: " in text
    assert assess.detainer_notes()["declined-only"].translations["es"]["text"] in text
    knowledge = assess.click_arrest_knowledge()
    for parameter in knowledge.parameters.values():
        assert parameter.translations["es"]["label"] in text
    for found in knowledge.assumption_translations:
        assert found["es"]["text"] in text
    for sentence in [*_english_sentences(), "Secure Communities switched on in", "Form in use from here"]:
        assert sentence not in text, f"English on the Spanish page: {sentence!r}"
        assert sentence not in _markup(page), f"English in the Spanish page's markup: {sentence!r}"
    # ICE's own outcome names stay as ICE prints them, marked English.
    assert '(<span lang="en">Booked into Detention</span>)' in page


def test_quotations_stay_verbatim_and_marked_english(client: TestClient) -> None:
    for path in (f"/es/detainers/{GALVESTON}", f"/detainers/{GALVESTON}", "/es/detainers"):
        page = _get(client, path)
        for parameter in assess.click_arrest_knowledge().parameters.values():
            if parameter.quote:
                assert f'<span lang="en">“{html.escape(parameter.quote)}”</span>' in page, path
        for event in assess.program_history():
            if event.quote:
                assert f'<blockquote lang="en">“{html.escape(event.quote)}”</blockquote>' in page, path
        # A form's title inside a translated sentence, and the article's title, are marked English too.
        assert '<span lang="en">I-247A Immigration Detainer – Notice of Action</span>' in page
        assert '<span lang="en">Scott Doyle, “Dragnet Without a Safety Net”' in page


def test_the_english_detainer_page_is_unchanged(client: TestClient) -> None:
    page = _get(client, f"/detainers/{GALVESTON}")
    assert '<html lang="en">' in page
    text = _text(page)
    for sentence in _english_sentences():
        if sentence in (d.label for d in assess.detainer_datasets().values()):
            continue  # a dataset is listed only when the workspace holds it
        if sentence in (note.text for note in assess.detainer_notes().values()):
            continue  # a note shows only where it applies
        assert sentence in text, f"missing on the English page: {sentence!r}"
    assert "Secure Communities switched on in Galveston County." in text
    assert "Form in use from here: I-247A Immigration Detainer – Notice of Action." in text
    assert assess.detainer_notes()["declined-only"].text in text
    for spanish in (
        "Ingreso a la custodia de ICE",
        "Secure Communities se activó",
        "Supuestos",
        "La tabla de",
    ):
        assert spanish not in text


def test_the_campaign_descriptions_are_spanish_on_spanish_pages(client: TestClient) -> None:
    spanish = _text(_get(client, "/es/campaigns"))
    english = _text(_get(client, "/campaigns"))
    for topic in campaign_topics().values():
        assert (
            topic.translations["es"]["label"] in spanish
            and topic.translations["es"]["description"] in spanish
        )
        assert topic.description not in spanish
        assert topic.label in english and topic.description in english
        assert topic.translations["es"]["description"] not in english
