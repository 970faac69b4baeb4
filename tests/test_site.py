"""`publish site`: a static site of public records only, links file to file, written whole or not at all."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from disentangle import letters
from disentangle.cli import main
from disentangle.errors import InputError
from disentangle.registry import tables as t
from disentangle.web import write_site
from disentangle.web._links import file_key, file_of, static_file, static_target, web_target
from disentangle.workspace import Workspace
from fixtures.tff import build_tff_mou

TODAY = date(2026, 12, 7)
REQUESTER = letters.Requester(name="Zelda Q. Privateperson", email="zelda.private@example.org")
PASADENA = "Pasadena, CA"
LINK = re.compile(r'(?:href|src|action)="([^"]*)"')


def _texts(folder: Path) -> dict[Path, str]:
    return {
        p: p.read_text(encoding="utf-8")
        for p in folder.rglob("*")
        if p.is_file() and p.suffix not in (".png", ".pdf")
    }


def _broken_links(folder: Path) -> list[tuple[str, str]]:
    broken = []
    for path in folder.rglob("*.html"):
        for link in LINK.findall(path.read_text(encoding="utf-8")):
            if not link or link.startswith(("http://", "https://", "#", "mailto:")):
                continue
            if link.startswith("/"):
                broken.append((str(path.relative_to(folder)), link))  # an absolute path: not from file://
                continue
            if not (path.parent / link.split("#")[0].split("?")[0]).exists():
                broken.append((str(path.relative_to(folder)), link))
    return broken


@pytest.fixture(scope="module")
def county_site(registry: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county-site") / "site"
    report = write_site(registry, folder, within="48167")
    assert report.pages > 50 and report.files > report.pages
    return folder


def test_the_site_has_the_interface_files_in_both_languages(county_site: Path) -> None:
    for name in (
        "index.html",
        "es/index.html",
        "place/48167.html",
        "es/place/48167.html",
        "place/48167.csv",
        "place/48167.json",
        "scorecard/48167.html",
        "detainers/48167.html",
        "agency/tx-galveston-county-sheriff-s-office.html",
        "search.html",
        "glossary.html",
        "es/glossary.html",
        "feeds/changes.atom",
        "data/agreements.csv",
        "data/agencies.json",
        "data/search-index.js",
        "static/app.js",
        "map/287g.html",
    ):
        assert (county_site / name).is_file(), name
    home = (county_site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in home and 'class="map"' in home
    assert '<html lang="es">' in (county_site / "es/index.html").read_text(encoding="utf-8")
    # A county outside this site is linked to the page that says so, never to a missing file.
    assert 'href="outside.html"' in home


def test_every_link_of_every_page_is_a_relative_path_to_a_file_of_the_site(county_site: Path) -> None:
    assert _broken_links(county_site) == []


def test_the_search_index_names_the_pages_of_the_site(county_site: Path) -> None:
    text = (county_site / "data/search-index.js").read_text(encoding="utf-8")
    rows = json.loads(text.removeprefix("window.DISENTANGLE_INDEX=").rstrip().rstrip(";"))
    sheriff = next(r for r in rows if r[0].startswith("Galveston County Sheriff"))
    assert sheriff[2:] == ["agency", "agency/tx-galveston-county-sheriff-s-office.html", "TX0840000"]
    assert all((county_site / row[3]).is_file() for row in rows)
    assert all((county_site / "es" / row[3]).is_file() for row in rows)


def test_the_feed_and_downloads_carry_sources_not_paths(county_site: Path) -> None:
    feed = (county_site / "feeds/changes.atom").read_text(encoding="utf-8")
    assert feed.startswith("<?xml") and "<entry>" in feed
    links = re.findall(r'href="([^"]*)"', feed)
    assert links and all(link.startswith("../") for link in links)  # relative to the feed's own folder
    agreements = (county_site / "data/agreements.csv").read_text(encoding="utf-8")
    assert "source_url" in agreements.splitlines()[0] and "data/" not in agreements
    for text in _texts(county_site).values():
        assert ".xlsx" not in text and "seed" not in text.lower()


def test_a_county_page_links_its_own_atom_feed_written_into_the_site(county_site: Path) -> None:
    from xml.etree import ElementTree

    atom = "{http://www.w3.org/2005/Atom}"
    for page_name, feed_name in (
        ("place/48167.html", "feeds/county/48167.atom"),
        ("es/place/48167.html", "es/feeds/county/48167.atom"),  # a Spanish page's feed is in Spanish
    ):
        page = county_site / page_name
        html = page.read_text(encoding="utf-8")
        alternates = re.findall(
            r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]*)"', html
        )
        follow = re.search(r'<p class="follow">.*?<a href="([^"]*)"', html)
        assert follow, "the county page offers its feed"
        assert follow.group(1) in alternates, "and names it in <head> beside the nation's"
        feed_file = (page.parent / follow.group(1)).resolve()
        assert feed_file == (county_site / feed_name).resolve()
    spanish = ElementTree.parse(feed_file).getroot()
    assert (spanish.findtext(f"{atom}title") or "").endswith(": acuerdos con ICE, cambios")
    for entry in spanish.findall(f"{atom}entry"):
        content = entry.findtext(f"{atom}content") or ""
        assert "Fuente:" in content and "Source:" not in content and "on ICE's list of" not in content
        link = entry.find(f"{atom}link")
        href = link.get("href", "") if link is not None else ""
        assert href.startswith("../../../es/") and (feed_file.parent / href).is_file(), href
    feed_file = (county_site / "feeds/county/48167.atom").resolve()
    root = ElementTree.parse(feed_file).getroot()
    assert root.tag == f"{atom}feed"
    assert "Galveston County" in (root.findtext(f"{atom}title") or "")
    entries = root.findall(f"{atom}entry")
    assert entries, "Galveston County's agencies have changes on ICE's lists"
    for entry in entries:
        link = entry.find(f"{atom}link")
        href = link.get("href", "") if link is not None else ""
        assert href.startswith("../../") and (feed_file.parent / href).is_file(), href
        assert "Source:" in (entry.findtext(f"{atom}content") or "")
    # The agency's own page links its feed too, and every feed written is one a page may link.
    agency = (county_site / "agency/tx-galveston-county-sheriff-s-office.html").read_text(encoding="utf-8")
    assert 'href="../feeds/agency/tx-galveston-county-sheriff-s-office.atom"' in agency
    assert (county_site / "feeds/agency/tx-galveston-county-sheriff-s-office.atom").is_file()
    assert (county_site / "feeds/state/TX.atom").is_file()
    assert "disentangle subscribe" not in (county_site / "place/48167.html").read_text(encoding="utf-8")


def test_a_folder_with_other_files_is_refused_and_a_site_is_replaced_whole(
    registry: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="did not write"):
        write_site(registry, folder, within="48167")
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    site = tmp_path / "site"
    write_site(registry, site, within="Texas County, OK")
    first = {p.relative_to(site) for p in site.rglob("*.html")}
    write_site(registry, site, within="48167")
    second = {p.relative_to(site) for p in site.rglob("*.html")}
    assert Path("place/48167.html") in second and Path("place/40139.html") not in second
    assert first != second
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # nothing left beside it


def test_an_unknown_place_is_one_clear_line_and_nothing_is_written(
    registry: Workspace, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main,
        ["--workspace", str(registry.home), "publish", "site", str(tmp_path / "s"), "--in", "Nowhere, ZZ"],
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


def _private_world(workspace: Workspace, tmp_path: Path) -> dict[str, str]:
    """A records request (naming a private person), a document it brought out with the agreement read from
    it, a person's entry on the document and a person's action with a note: all this workspace's own."""
    request_id, _ = workspace.draft_request(
        "Pasadena Police Department, CA", ["tff-mou"], REQUESTER, today=TODAY
    )
    mou = build_tff_mou(tmp_path / "mou.pdf", variant="seed", fmt="pdf")
    (row,) = workspace.attach_to_request(request_id, [mou], today=TODAY)
    workspace.record_action(
        row["agreement_id"], "challenged", TODAY, note="call Zelda before the council meeting"
    )
    reviews = workspace.field_reviews(row["sha256"])
    entered = next(r for r in reviews if r.field.endswith(".name"))
    workspace.enter_field(row["sha256"], entered.field, "Quentin Personentry", by="Zelda")
    return {
        "request": request_id,
        "sha256": row["sha256"],
        "agreement": row["agreement_id"],
        "requester": REQUESTER.name,
        "email": str(REQUESTER.email),
        "note": "call Zelda before the council meeting",
        "entry": "Quentin Personentry",
    }


def _make_public(workspace: Workspace, sha256: str) -> None:
    """What `disentangle publish document` does: a person reviews the boxes, the redacted copy is written."""
    workspace.review_redactions(sha256, by="Zelda")
    workspace.publish_document(sha256, by="Zelda")


def test_nothing_private_reaches_the_site(registry_copy: Callable[[str], Workspace], tmp_path: Path) -> None:
    workspace = registry_copy("private-site")
    private = _private_world(workspace, tmp_path)
    assert private["agreement"] in {a["id"] for a in workspace.show(PASADENA)["agreements"]}

    site = tmp_path / "site"
    write_site(workspace, site, within=PASADENA)
    texts = _texts(site)
    assert texts, "the site was written"
    for name, secret in private.items():
        leaks = [str(p.relative_to(site)) for p, text in texts.items() if secret in text]
        assert leaks == [], f"the {name} reached {leaks[:5]}"
    assert not list(site.rglob("documents/*"))
    assert _broken_links(site) == []

    # A row saying "public" is not enough: only a document with a reviewed, redacted copy leaves.
    with workspace.store.transaction() as connection:
        connection.execute(
            update(t.document_readings)
            .where(t.document_readings.c.sha256 == private["sha256"])
            .values(public=True)
        )
    write_site(workspace, site, within=PASADENA)
    assert not list(site.rglob("documents/*"))
    assert private["agreement"] not in "".join(_texts(site).values())

    # Once the document is published, its reading and the agreement read from it are published; the
    # request that brought it out, its requester, the person's action and entry still are not.
    _make_public(workspace, private["sha256"])
    write_site(workspace, site, within=PASADENA)
    texts = _texts(site)
    assert (site / f"documents/{private['sha256']}.html").is_file()
    assert (site / f"es/documents/{private['sha256']}.html").is_file()
    place = (site / "place/0656000.html").read_text(encoding="utf-8")
    assert "Treasury Forfeiture Fund" in place
    agreement_page = site / "agreement" / f"{file_key(private['agreement'])}.html"
    assert agreement_page.is_file()
    for name in ("request", "requester", "email", "note", "entry"):
        leaks = [str(p.relative_to(site)) for p, text in texts.items() if private[name] in text]
        assert leaks == [], f"the {name} reached {leaks[:5]}"
    assert _broken_links(site) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ("index.html", True)),
        ("/place/48167", ("place/48167.html", True)),
        ("/place/48167.csv", ("place/48167.csv", False)),
        (
            "/place/ocd-division/country:us/state:tx/place:houston",
            ("place/state-tx_place-houston.html", True),
        ),
        (
            "/agency/tx-galveston-county-sheriff-s-office",
            ("agency/tx-galveston-county-sheriff-s-office.html", True),
        ),
        ("/static/style.css", ("static/style.css", False)),
        ("/feed.atom", ("feeds/changes.atom", True)),
        ("/map/287g", ("map/287g.html", True)),
        ("/act/request?agency=x", None),
        ("/documents?place=48167", None),
        ("/api/place/48167", None),
        ("/requests", None),
    ],
)
def test_each_app_path_has_its_file_or_none(path: str, expected: tuple[str, bool] | None) -> None:
    assert static_file(path) == expected


def test_links_are_relative_to_the_page_and_stay_in_its_language() -> None:
    written = {"index.html", "place/48167.html", "es/place/48167.html", "static/style.css", "outside.html"}
    written |= {"es/outside.html", "es/index.html"}
    spanish = static_target("es/place/48167.html", "es", written)
    assert spanish("/") == "../../es/index.html"
    assert spanish("/static/style.css") == "../../static/style.css"
    assert spanish("/en/place/48167") == "../../place/48167.html"  # the language switch
    assert spanish("/act/request?agency=x") == "../../es/outside.html"
    english = static_target("index.html", "en", written)
    assert english("/place/48167#agreements-title") == "place/48167.html#agreements-title"
    assert english("/place/06037") == "outside.html"  # not in this site
    assert file_of("/place/48167", "es") == "es/place/48167.html"
    web = web_target("es")
    assert web("/place/48167") == "/es/place/48167"
    assert web("/static/app.js") == "/static/app.js" and web("/place/48167.csv") == "/place/48167.csv"
    assert web("/en/place/48167") == "/en/place/48167"
    assert web_target("en")("/place/48167") == "/place/48167"


def test_a_public_document_is_published_as_its_redacted_copy_only(
    registry_copy: Callable[[str], Workspace], tmp_path: Path
) -> None:
    from fixtures.records_release import PERSONAL, build_booking_log

    workspace = registry_copy("redacted-site")
    release = build_booking_log(tmp_path / "booking-log.pdf", "pdf")
    original = release.read_bytes()
    summary = workspace.ingest([release], workers=1)
    assert summary.failures == [] and summary.new == 1
    sha256 = next(
        s
        for s in workspace.documents.documents()
        if workspace.documents.original_path(s).read_bytes() == original
    )
    workspace.review_redactions(sha256, by="Reviewer")
    copy = workspace.publish_document(sha256, by="Reviewer")
    redacted = copy.path.read_bytes()
    assert redacted != original

    site = tmp_path / "site"
    write_site(workspace, site, within="48167")
    page = site / f"documents/{sha256}.html"
    assert page.is_file() and (site / f"es/documents/{sha256}.html").is_file()
    for name in (f"documents/{sha256}.html", f"es/documents/{sha256}.html"):
        html = (site / name).read_text(encoding="utf-8")
        links = [link for link in LINK.findall(html) if link.endswith(".pdf")]
        assert links, f"{name} links the redacted copy"
        assert all(
            (site / name).parent.joinpath(link).resolve() == (site / f"documents/{sha256}.pdf").resolve()
            for link in links
        )
    assert (site / f"documents/{sha256}.pdf").read_bytes() == redacted
    # The original's bytes are nowhere in the site; neither is a private person's data in any page.
    files = [p for p in site.rglob("*") if p.is_file()]
    assert not any(original[:4096] in p.read_bytes() for p in files)
    texts = _texts(site)
    for kind, values in PERSONAL.items():
        for value in values:
            leaks = [str(p.relative_to(site)) for p, text in texts.items() if value in text]
            assert leaks == [], f"{kind} {value!r} reached {leaks[:5]}"
    assert _broken_links(site) == []


def test_the_sites_feeds_are_the_apps_feeds_of_the_public_registry(registry: Workspace) -> None:
    from disentangle.web._alerts import english_words
    from disentangle.web._static import StaticSite

    site = StaticSite(registry, registry.site_contents("48167"))
    built = {feed.key: feed for feed in site.alert_feeds()}
    assert "campaign" not in {key.partition("/")[0] for key in built}
    for key, scope in (
        ("county/48167", {"place": "48167"}),
        ("state/TX", {"place": "TX"}),
        ("agency/tx-galveston-county-sheriff-s-office", {"agency": "tx-galveston-county-sheriff-s-office"}),
    ):
        app = registry.alert_feed(english_words(), **scope)
        assert app.items, key
        assert [i.key for i in built[key].items] == [i.key for i in app.items], key
        assert (built[key].path, built[key].title) == (app.path, app.title)
