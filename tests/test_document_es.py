"""The document page in Spanish: clause, function and conflict labels carry their Spanish as data, the
termination notice is worded from values, and the agreement's own words stay English (lang="en")."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from disentangle import assess, extract
from disentangle.assess._conflicts import CONFLICTS_FILE, QUOTED, parse_conflict_rules
from disentangle.assess._toolkit import load_toolkit
from disentangle.errors import KnowledgeError
from disentangle.extract import NoticeTerm, Termination
from disentangle.extract._knowledge import _compile, clauses, functions
from disentangle.knowledge import load_yaml
from disentangle.model import ValidityFlag
from disentangle.web import create_app
from disentangle.workspace import Workspace
from fixtures.tff import build_tff_mou


def test_every_clause_and_function_label_has_spanish() -> None:
    patterns = [p for section in clauses().values() for p in section]
    assert patterns
    missing = [p.id for p in patterns if not p.translations.get("es", {}).get("label")]
    assert not missing, missing
    for rule in functions():
        assert rule.translations["es"]["label"], rule.code
        assert rule.translations["es"]["description"], rule.code
    assert extract.clause_translations()["obligation.assign_dedicated_officers"]["es"]["label"].startswith(
        "Asignar agentes dedicados"
    )


def test_every_conflict_explanation_has_spanish_keeping_its_quotes_verbatim() -> None:
    for rule in assess.load_conflict_rules():
        spanish = rule.translations["es"]["explanation"]
        assert spanish and spanish != rule.explanation, rule.id
        for quote in QUOTED.findall(rule.explanation):
            assert quote in spanish, (rule.id, quote)
    dedicated = next(
        r for r in assess.load_conflict_rules() if r.id == "dedicated-officers-vs-no-local-resources"
    )
    assert '"to the maximum extent possible"' in dedicated.translations["es"]["explanation"]


@pytest.mark.parametrize("given", [{"label": ""}, {"label": "   "}, {"lable": "Asignar"}, "Asignar"])
def test_a_clause_with_an_empty_or_unknown_translation_is_refused(given: Any) -> None:
    entry = {
        "id": "obligation.x",
        "phrase": "shall assign",
        "label": "Assign",
        "source": "clay-jem-2020",
        "es": given,
    }
    with pytest.raises(KnowledgeError, match=r"clauses\.yaml: obligation\.x\.es"):
        _compile(entry, "clauses.yaml")


def _rules_with(explanation_es: str) -> Any:
    doc = load_yaml(CONFLICTS_FILE)
    entry = next(r for r in doc["rules"] if r["id"] == "dedicated-officers-vs-no-local-resources")
    return parse_conflict_rules(
        {"rules": [{**entry, "es": {"explanation": explanation_es}}]}, load_toolkit(), "c.yaml"
    )


def test_a_conflict_with_an_empty_translation_or_a_lost_quote_is_refused() -> None:
    with pytest.raises(
        KnowledgeError, match=r"c\.yaml: dedicated-officers-vs-no-local-resources\.es\.explanation"
    ):
        _rules_with("  ")
    with pytest.raises(KnowledgeError, match="must keep the quote"):
        _rules_with("El MOU obliga a la agencia, «en la mayor medida posible», a dar agentes a ICE.")
    assert _rules_with('El MOU obliga, "to the maximum extent possible", a dar agentes.')[0].translations


def test_the_termination_notice_is_values_and_its_english_words_are_unchanged() -> None:
    t = Termination(by_lea=True, by_ice=True, lea_in_writing=True, ice_in_writing=True)
    assert t.notice == "LEA: in writing, no notice period; ICE: in writing, no notice period"
    assert t.notice_terms == (NoticeTerm("LEA", None, True), NoticeTerm("ICE", None, True))
    t = Termination(lea_notice_days=90, lea_in_writing=True, ice_notice_days=30)
    assert t.notice == "LEA: 90 days written notice; ICE: 30 days notice"
    assert [n.to_json() for n in t.notice_terms] == [
        {"side": "LEA", "days": 90, "in_writing": True},
        {"side": "ICE", "days": 30, "in_writing": False},
    ]
    assert Termination.from_json(t.to_json()) == t
    assert Termination().notice is None and Termination().notice_terms == ()


@pytest.fixture(scope="module")
def mou(
    registry_copy: Callable[[str], Workspace], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, str]:
    workspace = registry_copy("document-es")
    stored = workspace.store_document(
        build_tff_mou(tmp_path_factory.mktemp("mou") / "mou.pdf", "seed", "pdf")
    )
    workspace.reading(stored.sha256)
    return workspace, stored.sha256


def _page(workspace: Workspace, path: str) -> Any:
    with TestClient(create_app(workspace, cache_seconds=0), base_url="http://127.0.0.1") as client:
        response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    return lxml_html.fromstring(response.text)


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def test_the_spanish_page_shows_the_terms_in_spanish_and_quotes_in_english(
    mou: tuple[Workspace, str],
) -> None:
    workspace, sha256 = mou
    page = _page(workspace, f"/es/documents/{sha256}")
    terms = _text(page.get_element_by_id("terms-title").getparent())
    assert "Asignar agentes dedicados a las investigaciones y operaciones conjuntas de ICE" in terms
    assert "Las prestaciones sociales (y las cotizaciones sobre la nómina) no se reembolsan" in terms
    assert (
        "Aviso: Agencia local: por escrito, sin plazo de preaviso; ICE: por escrito, sin plazo de preaviso."
        in terms
    )
    for english in ("Assign dedicated officers", "Fringe benefits", "in writing, no notice period"):
        assert english not in terms
    conflicts = page.xpath("//ul[@class='conflicts']/li")
    assert conflicts
    first = _text(conflicts[0])
    assert (
        'El MOU obliga a la agencia, "to the maximum extent possible" (en la mayor medida posible)' in first
    )
    quoted = conflicts[0].xpath(".//span[@lang='en']")
    assert [q.text for q in quoted] == ['"to the maximum extent possible"']
    assert all(
        q.get("lang") == "en" for q in page.xpath("//ul[@class='conflicts']//q | //ul[@class='flags']//q")
    )
    # The document's own words: its title, the page texts.
    title = [
        v
        for v in page.xpath("//nav[@class='fact-list']//span[@class='value']")
        if v.text and v.text.startswith("MEMORANDUM OF")
    ]
    assert title and all(v.get("lang") == "en" for v in title)
    assert all(p.get("lang") == "en" for p in page.xpath("//pre[@class='page-text']"))
    # The judgement worded from its values: the rule's label and note as knowledge translates them.
    flag = page.xpath("//li[contains(@class, 'flag-error')]")[0]
    words = _text(flag)
    assert "Firmado en nombre de Pasadena Police Department solo por Chief of Police;" in words
    assert "según la regla Pasadena: el administrador municipal formaliza los contratos de la ciudad" in words
    assert "solo administrador municipal puede obligar a Pasadena" in words
    assert "Signed for" not in words and "The Pasadena Police Department's ICE MOU" not in words
    assert "Chief of Police" in [s.text for s in flag.xpath("./span[@lang='en']")]


def test_the_english_page_keeps_its_english(mou: tuple[Workspace, str]) -> None:
    workspace, sha256 = mou
    page = _page(workspace, f"/en/documents/{sha256}")
    terms = _text(page.get_element_by_id("terms-title").getparent())
    assert "Assign dedicated officers to ICE investigations and joint operations" in terms
    assert "Notice: LEA: in writing, no notice period; ICE: in writing, no notice period." in terms
    assert "Fringe benefits (and payroll taxes) are not repaid — they stay with the local budget" in terms
    conflicts = _text(page.xpath("//ul[@class='conflicts']")[0])
    assert (
        'The MOU binds the agency, "to the maximum extent possible", to give ICE dedicated officers'
        in conflicts
    )
    assert not re.search(r"[áéíóúñ]", terms)
    flag = _text(page.xpath("//li[contains(@class, 'flag-error')]")[0])
    assert (
        "Signed for Pasadena Police Department only by Chief of Police; under the rule Pasadena: the city "
        "manager executes city contracts, only City manager may bind Pasadena. A contract not signed by an "
        "authorized officer is void. The Pasadena Police Department's ICE MOU was signed only by the chief"
    ) in flag


def test_a_no_authority_flag_keeps_its_values_beside_its_english_message(mou: tuple[Workspace, str]) -> None:
    workspace, sha256 = mou
    flag = next(f for f in workspace.reading(sha256)["judgement"]["flags"] if f["code"] == "no-authority")
    assert flag["message"].startswith("Signed for Pasadena Police Department only by Chief of Police; under")
    assert flag["values"] == {
        "agency": "Pasadena Police Department",
        "titles": ["Chief of Police"],
        "rule_label": "Pasadena: the city manager executes city contracts",
        "rule_note": flag["values"]["rule_note"],
        "may_bind": ["city-manager"],
        "place": "Pasadena",
    }
    assert ValidityFlag.from_dict(flag).to_dict() == flag
    plain = ValidityFlag("missing-date", "warning", "No date could be read")
    assert "values" not in plain.to_dict() and ValidityFlag.from_dict(plain.to_dict()) == plain


def test_every_authority_rule_and_office_has_a_spanish_label() -> None:
    rules = assess.load_authority_rules()
    assert all(rule.translations["es"]["label"] for rule in rules.rules)
    assert all(role.translations["es"]["label"] for role in rules.roles)
