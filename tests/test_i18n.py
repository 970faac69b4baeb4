"""Spanish: the catalog covers every message of the templates and the registry's words, requests choose
their language by prefix, cookie and Accept-Language, and the knowledge carries its own translations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from disentangle.assess import load_toolkit
from disentangle.errors import KnowledgeError
from disentangle.publish._glossary import load_glossary, parse_glossary
from disentangle.web import _catalog, _i18n, create_app
from disentangle.workspace import Workspace

PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def test_every_message_of_the_pages_is_translated_into_spanish() -> None:
    assert _catalog.missing("es") == []


def test_the_catalog_extraction_sees_the_templates_and_the_registry_words() -> None:
    messages = _catalog.messages()
    assert "Skip to content" in messages  # base.html
    assert "Law-enforcement agencies" in messages  # place.html
    assert "Kinds of arrangement with ICE in force" in messages  # a map layer
    assert "removed from ICE's list" in messages  # a status


def test_translations_keep_every_placeholder() -> None:
    catalog = _catalog.read_catalog("es")
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            # A singular form may leave the number out ("the active agreement"); nothing else may go.
            assert found <= wanted and wanted - found <= {"%(num)s"}, (message.id, string)


@pytest.mark.parametrize(
    ("path", "cookie", "accept", "expected"),
    [
        ("/es/place/48167", None, "", ("es", "/place/48167", True)),
        ("/en/place/48167", "es", "es", ("en", "/place/48167", True)),
        ("/es", None, "", ("es", "/", True)),
        ("/place/48167", "es", "en", ("es", "/place/48167", False)),
        ("/place/48167", None, "es-MX,es;q=0.9,en;q=0.8", ("es", "/place/48167", False)),
        ("/place/48167", None, "en-US,en;q=0.9,es;q=0.8", ("en", "/place/48167", False)),
        ("/place/48167", None, "fr-FR, es;q=0.5", ("es", "/place/48167", False)),
        ("/place/48167", None, "es;q=0", ("en", "/place/48167", False)),
        ("/place/48167", None, "", ("en", "/place/48167", False)),
        ("/espanol", None, "", ("en", "/espanol", False)),
    ],
)
def test_a_request_chooses_its_language(
    path: str, cookie: str | None, accept: str, expected: tuple[str, str, bool]
) -> None:
    assert _i18n.choose(path, cookie, accept) == expected


@pytest.fixture(scope="module")
def client(registry: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(registry, cache_seconds=60.0), base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_the_spanish_pages_say_so_and_keep_their_links_in_spanish(client: TestClient) -> None:
    home = client.get("/es/")
    assert home.status_code == 200
    assert '<html lang="es">' in home.text
    assert "Los acuerdos de la policía local con ICE" in home.text
    assert 'href="/es/place/48167"' in home.text  # the map's counties keep the reader in Spanish
    assert 'href="/static/style.css"' in home.text  # files are the same in both
    assert "disentangle_lang=es" in home.headers.get("set-cookie", "")
    county = client.get("/es/place/48167")
    assert '<html lang="es">' in county.text and "Agencias policiales" in county.text
    assert "Sin retenciones por órdenes de detención (detainers) de ICE" in county.text  # criteria, as data
    english = client.get("/en/place/48167")
    assert '<html lang="en">' in english.text and "Law-enforcement agencies" in english.text
    assert 'href="/es/place/48167"' in english.text  # the switch to Spanish


def test_accept_language_chooses_spanish_without_a_prefix(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/glossary", headers={"Accept-Language": "es-US,es;q=0.9"})
    assert '<html lang="es">' in page.text and "Orden de detención migratoria" in page.text
    assert "accept-language" in page.headers.get("vary", "").lower()
    plain = client.get("/glossary", headers={"Accept-Language": "en-US"})
    assert '<html lang="en">' in plain.text and "Detainer (immigration hold)" in plain.text


def test_a_redirect_stays_in_spanish(client: TestClient) -> None:
    client.cookies.clear()
    response = client.get("/es/place/TX0840000", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/es/agency/tx-galveston-county-sheriff-s-office"


def test_every_checklist_criterion_has_its_spanish_words() -> None:
    for criterion in load_toolkit().criteria:
        words = criterion.translations.get("es")
        assert words and words["label"] and words["criterion"], criterion.id
        assert words["label"] != criterion.label


def test_the_glossary_has_both_languages_and_a_source() -> None:
    terms = load_glossary()
    assert len(terms) >= 10
    for term in terms:
        assert term.in_language("es")["term"] and term.in_language("en")["definition"] and term.source
    with pytest.raises(KnowledgeError, match=r"terms\[0\].*es: term and definition"):
        parse_glossary({"terms": [{"id": "x", "source": "s", "en": {"term": "a", "definition": "b"}}]})


def test_sentences_built_from_values_are_worded_in_spanish(client: TestClient) -> None:
    """The place page's cost sizing and the scorecard's explanations come as values the page words: in
    Spanish they are wholly Spanish, and the English page keeps its words."""
    place = client.get("/es/place/48167").text
    assert "Supone que Galveston County Sheriff" in place and "agentes juramentados" in place
    assert "sworn officers" not in place and "assigned to the agreement" not in place
    assert "con reembolso del DHS desde el 1 de octubre de 2025" in place  # a regime's own translation
    card = client.get("/es/scorecard/48167").text
    assert "deducida de" in card and "Derived " not in card and "piece(s) of evidence" not in card
    english = client.get("/en/scorecard/48167").text
    assert "Derived " in english and "pieces of evidence" in english
    assert "sworn officers (FBI" in client.get("/en/place/48167").text
    # The toolkit's own words stay English, marked as such for a reader of the Spanish page.
    assert '<span lang="en">State or local laws pertaining to the powers and duties' in card


# ------------------------------------------------------------------ no raw English left in the templates

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "disentangle" / "web" / "templates"

# Templates whose every word a person reads goes through gettext.
TRANSLATED_TEMPLATES = (
    "agency.html",
    "agreement.html",
    "api.html",
    "audit.html",
    "base.html",
    "cost.html",
    "cost_results.html",
    "detainer_contradictions.html",
    "document.html",
    "documents.html",
    "documents_table.html",
    "error.html",
    "found.html",
    "home.html",
    "job.html",
    "letter_details.html",
    "letter_find.html",
    "letter_preview.html",
    "login.html",
    "outside.html",
    "place.html",
    "redact.html",
    "request_details.html",
    "request_find.html",
    "request_preview.html",
    "requests.html",
    "requests_fragment.html",
    "review_queue.html",
    "search.html",
    "upload.html",
)

# Text that is the same in every language: paths, file names, commands, the brand, abbreviations.
NOT_WORDS = {
    "Disentangle",
    "· Disentangle",
    "UTC",
    "/api",
    "/api/changes",
    "/api/documents",
    "/api/documents/",
    "/api/jobs/",
    "/api/map",
    "/api/review",
    "/api/stats?by=month",
    "/openapi.json",
    "counties.csv",
    "counties.json",
    "disentangle check FILE --policy POLICY",
    "disentangle ingest FILES",
}
ABBREVIATIONS = re.compile(
    r"[\W\d]*(JSON|CSV|API|CLI|ORI|FIPS|ICE|PDF|DOCX|Markdown|HTML|sha256|Atom|TFM|JEM|WSO)?[\W\d]*"
)
SEEN_ATTRIBUTES = re.compile(r"\b(?:title|alt|placeholder|aria-label)=\"([^\"]*)\"")


def raw_text(template: str) -> list[str]:
    """The chunks of a template's text (and of the attributes a person reads) outside any {{ }} or
    {% %}: words there are not translated."""
    text = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "\x00", text, flags=re.S)
    chunks = SEEN_ATTRIBUTES.findall(text)
    text = re.sub(r"<[^>]*>", "\x00", text, flags=re.S)
    chunks += text.split("\x00")
    found = []
    for chunk in chunks:
        words = " ".join(chunk.replace("\x00", " ").split())
        if (
            re.search(r"[A-Za-z]{3,}", words)
            and not ABBREVIATIONS.fullmatch(words)
            and words not in NOT_WORDS
        ):
            found.append(words)
    return found


def test_the_raw_text_check_sees_text_and_attributes() -> None:
    assert raw_text('<p>{{ _("Fine") }} <a href="/x">JSON</a></p>') == []
    assert raw_text("<h1>Records requests{% if x %} to {{ y }}{% endif %}</h1>") == ["Records requests"]
    assert raw_text('<input placeholder="e.g. Galveston" aria-label="{{ _("Ok") }}">') == ["e.g. Galveston"]


@pytest.mark.parametrize("name", TRANSLATED_TEMPLATES)
def test_no_raw_english_is_left_in_the_translated_templates(name: str) -> None:
    assert raw_text((TEMPLATES / name).read_text(encoding="utf-8")) == [], name


@pytest.fixture(scope="module")
def fresh_client(registry: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(registry, cache_seconds=0), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "spanish"),
    [
        ("/es/documents", "Subir acuerdos"),
        ("/es/documents/upload", "archivos a la vez, de"),
        ("/es/requests", "No hay ninguna solicitud de documentos guardada en este espacio de trabajo."),
        ("/es/act/request", "Solicitud de documentos: buscar la agencia"),
        ("/es/act/request?q=Galveston", "Agencias que coinciden con “Galveston”"),
        ("/es/act/cost", "Los resultados se actualizan mientras escribe, una vez que elija un régimen."),
        ("/es/act/cost?agreement=facility-adlntca-igsa", "Costo en 12 meses, partida por partida"),
        ("/es/agreement/facility-adlntca-igsa", "(la calculadora, completada de antemano con este acuerdo)"),
        ("/es/review", "Nada espera a una persona."),
        ("/es/found", "Acuerdos encontrados en documentos"),
        ("/es/api", "La descripción legible por máquina es"),
        ("/es/detainers/contradictions", "Políticas sobre órdenes de detención que la práctica contradice"),
    ],
)
def test_the_app_pages_render_in_spanish(fresh_client: TestClient, path: str, spanish: str) -> None:
    page = fresh_client.get(path, headers={"accept": "text/html"})
    assert page.status_code == 200, path
    assert '<html lang="es">' in page.text
    assert spanish in page.text, path


def test_the_cost_calculator_names_its_inputs_and_their_basis_in_spanish(client: TestClient) -> None:
    page = client.get("/es/act/cost").text
    assert "agentes asignados al acuerdo" in page and "supuesto: cámbielo por su cifra" in page
    assert "supuesto para una agencia mediana" in page
    assert "Acuerdo 287(g), con reembolso del DHS desde el 1 de octubre de 2025" in page
    # A cited source stays as the source says it, marked English for a Spanish reader.
    assert '<span lang="en">29 U.S.C. § 207(a)(1)' in page
    english = client.get("/en/act/cost").text
    assert "officers assigned to the agreement" in english
    assert "assumption: change it to your figure" in english


def test_a_spanish_page_offers_its_feed_in_spanish(client: TestClient) -> None:
    """The web app's feeds read in the page's language; the English feed keeps its words."""
    page = client.get("/es/place/48167").text
    assert 'href="/es/feeds/county/48167.atom"' in page
    spanish = client.get("/es/feeds/county/48167.atom")
    assert spanish.status_code == 200 and spanish.headers["content-type"].startswith("application/atom+xml")
    assert "Galveston County, TX: acuerdos con ICE, cambios" in spanish.text
    assert "Fuente:" in spanish.text and "on ICE's list of" not in spanish.text
    english = client.get("/en/feeds/county/48167.atom").text
    assert "Galveston County, TX: agreements with ICE, changes" in english and "Source:" in english
    assert "acuerdos con ICE" not in english
