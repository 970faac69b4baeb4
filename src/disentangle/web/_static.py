"""The static site: the web app's public pages written to a folder, in English and Spanish, with no server.

The pages are the web app's own templates and view code, rendered over a `StaticSite` — the app's `Site`
that sees only what may be published (publish/_public.py) — and their links rewritten file to file
(_links.py). Search runs in the browser from a prebuilt index. The folder is built beside its destination
and renamed into place at the end: a reader never sees half a site.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, cast

from disentangle import __version__
from disentangle.errors import InputError, NotFoundError
from disentangle.model import AgencyHistory, AgreementView, ChangeRecord
from disentangle.publish import DEFAULT_LAYER, LAYERS
from disentangle.publish import _feeds as feeds
from disentangle.publish._public import public_agreement, public_history, public_shown
from disentangle.publish.exports import write_csv, write_json
from disentangle.web import _i18n, _pages
from disentangle.web._alerts import page_words
from disentangle.web._cache import Page
from disentangle.web._detainers import detainer_page
from disentangle.web._downloads import csv_text, records
from disentangle.web._links import OUTSIDE, file_of, rewrite_links, static_target
from disentangle.web._site import STATIC, Site, agency_href, agreement_href, place_href
from disentangle.workspace import SiteContents, Workspace

MARKER = ".disentangle-site"  # marks a folder this command wrote: only such a folder is replaced


@dataclass(frozen=True, slots=True)
class SiteReport:
    """What `publish site` wrote."""

    directory: Path
    within: str | None
    languages: tuple[str, ...]
    pages: int  # HTML pages, every language
    files: int  # every file written
    bytes: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "within": self.within,
            "languages": list(self.languages),
            "pages": self.pages,
            "files": self.files,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 2),
        }


class StaticSite(Site):
    """The app's Site as a static site sees it: only public records, no workspace papers, no forms."""

    static_site = True

    def __init__(self, workspace: Workspace, contents: SiteContents) -> None:
        super().__init__(workspace, token=None, cache_seconds=24 * 3600.0)
        self.contents = contents
        self.private = contents.private_agreements
        self.documents = frozenset(contents.documents)
        # The redacted copy of each public document (its original never leaves the workspace).
        self.published = {
            copy.sha256: copy.path
            for copy in workspace.published_documents()
            if copy.sha256 in self.documents
        }

    def finish(self, html: str) -> str:
        return html  # links are pointed file to file when each page is written

    def fresh(self) -> None:
        return None  # one build over one registry state

    def show(self, q: str) -> dict[str, Any]:
        return public_shown(super().show(q), self.private, self.documents)

    def history(self, agency_id: str) -> AgencyHistory:
        shown = public_history(cast(dict[str, Any], super().history(agency_id)), self.private, self.documents)
        return cast(AgencyHistory, shown)

    def agreement(self, agreement_id: str) -> AgreementView:
        shown = public_agreement(cast(dict[str, Any], super().agreement(agreement_id)), self.documents)
        return cast(AgreementView, shown)

    def county_rows(self, *, scored: bool = False) -> list[dict[str, Any]]:
        if scored:
            rows: list[dict[str, Any]] = self.memo.get("county_map_scored", self._scored_rows)
            return rows
        plain: list[dict[str, Any]] = self.memo.get(
            "county_map", lambda: self.workspace.county_map(exclude=self.private)
        )
        return plain

    def _scored_rows(self) -> list[dict[str, Any]]:
        cards = self.workspace.scorecard_map(exclude=self.private)
        return [{**row, "scorecard": cards.get(str(row.get("fips")))} for row in self.county_rows()]

    def alert_feeds(self) -> list[feeds.Feed]:
        """The site's per-place and per-agency feeds (public records only) in the language being written,
        built once per language."""
        language = _i18n.current()
        built: list[feeds.Feed] = self.memo.get(
            ("place_feeds", language), lambda: self.workspace.public_feeds(self.contents, page_words())
        )
        return built

    def changes(self, limit: int) -> list[ChangeRecord]:
        # Only ICE's lists and other public records: a person's own events are not news to publish.
        found = self.workspace.latest_changes(limit * 2)
        return [c for c in found if c.get("source") and c["agreement_id"] not in self.private][:limit]


# ------------------------------------------------------------------------------------------- the pages


@dataclass(frozen=True, slots=True)
class Item:
    """One file of the site: the app path it stands for, and how to make its text."""

    path: str  # the app's path ("/place/48167"), or a site file for shared data ("/data/agencies.csv")
    build: Callable[[], str]
    page: bool = True  # an HTML page, written once per language


def _key(place: dict[str, Any]) -> str:
    return str(place.get("fips") or place["id"])


def _json(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n"


def plan(site: StaticSite) -> Iterator[Item]:
    """Every file of the site, in the order it is written."""
    contents = site.contents
    yield Item("/", partial(_home, site, DEFAULT_LAYER))
    for layer in LAYERS:
        if layer.key != DEFAULT_LAYER:
            yield Item(f"/map/{layer.key}", partial(_home, site, layer.key))
    yield Item(
        "/search", partial(site.render_text, "search.html", {"places": [], "agencies": [], "href": "/search"})
    )
    yield Item("/glossary", partial(_glossary, site))
    yield Item("/outside", partial(site.render_text, "outside.html", {"href": "/outside"}))
    for place in contents.jurisdictions:
        key = _key(place)
        yield Item(f"/place/{key}", partial(_place, site, key))
        yield Item(f"/place/{key}.json", partial(_place_data, site, key, "json"), page=False)
        yield Item(f"/place/{key}.csv", partial(_place_data, site, key, "csv"), page=False)
        if place["level"] in ("state", "county"):
            yield Item(f"/scorecard/{key}", partial(_scorecard, site, key))
            yield Item(f"/detainers/{key}", partial(_detainers, site, key))
    for agency in contents.agencies:
        href = agency_href(agency["id"])
        yield Item(href, partial(_agency, site, agency["id"]))
        yield Item(f"{href}.json", partial(_agency_data, site, agency["id"], "json"), page=False)
        yield Item(f"{href}.csv", partial(_agency_data, site, agency["id"], "csv"), page=False)
    for agreement in contents.agreements:
        href = agreement_href(agreement["id"])
        yield Item(href, partial(_agreement, site, agreement["id"]))
        yield Item(f"{href}.json", partial(_agreement_data, site, agreement["id"]), page=False)
    for sha256 in contents.documents:
        yield Item(f"/documents/{sha256}", partial(_document, site, sha256))
    yield Item("/detainers", partial(_detainers, site, None))


def _home(site: StaticSite, layer: str) -> str:
    return _pages.home_page(site, layer).body.decode()


def _glossary(site: StaticSite) -> str:
    return site.render_text("glossary.html", _pages.glossary_context())


def _place(site: StaticSite, key: str) -> str:
    return _page_text(_pages.place_page(site, key))


def _place_data(site: StaticSite, key: str, fmt: str) -> str:
    shown = site.show(key)
    return _json(shown) if fmt == "json" else csv_text(records(shown))


def _agency(site: StaticSite, agency_id: str) -> str:
    return _pages.agency_page(site, agency_id).body.decode()


def _agency_data(site: StaticSite, agency_id: str, fmt: str) -> str:
    history = site.history(agency_id)
    return _json(history) if fmt == "json" else csv_text(records(history))


def _agreement_data(site: StaticSite, agreement_id: str) -> str:
    return _json(site.agreement(agreement_id))


def _page_text(page: Page | str) -> str:
    assert isinstance(page, Page), "a jurisdiction's page, never an agency's redirect"
    return page.body.decode()


def _scorecard(site: StaticSite, key: str) -> str:
    shown = site.show(key)
    card = site.workspace.assess_shown(shown).to_dict()
    href = f"/scorecard/{key}"
    return site.render_text("scorecard.html", {"card": card, "place": shown["jurisdiction"], "href": href})


def _detainers(site: StaticSite, key: str | None) -> str:
    if key is None:
        return detainer_page(site, site.workspace.detainers_national(), "/detainers").body.decode()
    return detainer_page(site, site.workspace.detainers(key), f"/detainers/{key}").body.decode()


def _agreement(site: StaticSite, agreement_id: str) -> str:
    from disentangle.web._pages import agreement_context

    context = agreement_context(site, agreement_id)
    found = site.workspace.found_of_agreement(agreement_id)
    public_found = None
    if found is not None and found.sha256 in site.documents:
        # Neither the records request that brought it out nor a value a person typed leaves the workspace:
        # where a person entered values, the signatories are left out (the document's page has its text).
        entered = bool(site.workspace.person_entries(found.sha256))
        signatories = [] if entered else found.signatories
        public_found = replace(found, request_id=None, signatories=signatories)
    context["work"] = {"found": public_found, "actions": [], "recordable": []}
    context["csrf"] = ""
    return site.render_text("agreement.html", context)


def _document(site: StaticSite, sha256: str) -> str:
    from disentangle.web._documents import blank_boxed, document_context, published_view

    if sha256 not in site.published:  # only a reviewed, redacted copy ever leaves
        raise NotFoundError(f"document {sha256[:12]} has no published copy")
    context = document_context(site, sha256, with_reviews=False)
    # A published document shows the text of its redacted copy, never the original's: the personal data
    # blacked out in the copy is then left out of every quote of the reading as well.
    boxed = published_view(site.workspace, context, sha256)
    html = site.render_text(
        "document.html", {**context, "csrf": "", "href": f"/documents/{sha256}", "published_copy": True}
    )
    return blank_boxed(html, boxed)


def copy_published(site: StaticSite, folder: Path) -> tuple[int, int]:
    """documents/<sha256>.pdf beside each public document's page: its redacted copy, never the original.
    (files, bytes)"""
    files = size = 0
    for sha256, path in site.published.items():
        name = file_of(_published_path(sha256), _i18n.DEFAULT)
        assert name is not None
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        files += 1
        size += target.stat().st_size
    return files, size


def _published_path(sha256: str) -> str:
    return f"/documents/{sha256}/published.pdf"


# ------------------------------------------------------------------------------------------- the feeds

# Writes Atom feeds into the site's feeds/ folder and returns the bytes written; `written` is every file
# of the site, for links (static_target points a link at a file of the site, else at outside.html).
FeedWriter = Callable[[StaticSite, Path, set[str]], int]


def national_feed(site: StaticSite, folder: Path, written: set[str]) -> int:
    """feeds/changes.atom (and es/feeds/changes.atom): the newest changes on ICE's lists (public records
    only), in each language, links relative to it."""
    size = 0
    for language in _i18n.LANGUAGES:
        with _i18n.speaking(language):
            words = page_words()
            national = site.workspace.national_feed(words)
            items = tuple(feeds.change_item(change, words) for change in site.changes(feeds.FEED_SIZE))
            xml = feeds.atom_xml(replace(national, items=items), "", generator_version=__version__)
        name = file_of("/feed.atom", language)
        assert name is not None
        size += _write(folder.parent / name, rewrite_links(xml, static_target(name, language, written)))
    return size


def place_feeds(site: StaticSite, folder: Path, written: set[str]) -> int:
    """feeds/state/TX.atom, feeds/county/<FIPS>.atom, feeds/place/<FIPS>.atom, feeds/agency/<id>.atom (and
    the same under es/): the feed of every state, county, place and agency of the site in each language,
    from the public registry only (no campaign's feed: a campaign is a person's own work)."""
    size = 0
    for language in _i18n.LANGUAGES:
        with _i18n.speaking(language):
            for feed in site.alert_feeds():
                name = file_of(feed.path, language)
                assert name is not None and "feeds/" in name, feed.path
                xml = feeds.atom_xml(feed, "", generator_version=__version__)
                size += _write(
                    folder.parent / name, rewrite_links(xml, static_target(name, language, written))
                )
    return size


# The feeds every site gets; each writer's files are also named by `feed_files`, so pages may link to them.
FEED_WRITERS: tuple[FeedWriter, ...] = (national_feed, place_feeds)


def feed_files(site: StaticSite) -> set[str]:
    """The files the FEED_WRITERS write (relative to the site's folder), in every language."""
    names: set[str] = set()
    for language in _i18n.LANGUAGES:
        national = file_of("/feed.atom", language)
        assert national is not None
        names.add(national)
        for feed in site.alert_feeds():  # the keys and paths are the same in every language
            name = file_of(feed.path, language)
            assert name is not None
            names.add(name)
    return names


# ------------------------------------------------------------------------------------------- the index


def search_index(site: StaticSite) -> list[list[str]]:
    """[name, state, kind, page (a path from the language's folder), FIPS or ORI] for every page a reader
    may look for: the places and agencies of the site."""
    rows: list[list[str]] = []
    for place in site.contents.jurisdictions:
        page = file_of(place_href(place), _i18n.DEFAULT) or OUTSIDE
        rows.append([place["name"], place["state"] or "", place["level"], page, place.get("fips") or ""])
    for agency in site.contents.agencies:
        page = file_of(agency_href(agency["id"]), _i18n.DEFAULT) or OUTSIDE
        rows.append([agency["name"], agency["state"] or "", "agency", page, agency.get("ori") or ""])
    return rows


# ------------------------------------------------------------------------------------------- writing


def _replaceable(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory}: is a file, not a folder for the site")
    if directory.exists() and any(directory.iterdir()) and not (directory / MARKER).exists():
        raise InputError(
            f"{directory}: the folder has files this command did not write; give an empty or new folder"
        )


@dataclass(frozen=True, slots=True)
class Opening:
    """How a worker process opens the same workspace (processes share no database connection)."""

    home: Path
    database_url: str
    schema: str | None
    data_dir: Path

    @classmethod
    def of(cls, workspace: Workspace) -> Opening:
        store = workspace.store
        return cls(workspace.home, store.url, store.schema, workspace.data_dir)

    def open(self) -> Workspace:
        return Workspace(
            self.home, database_url=self.database_url, schema=self.schema, data_dir=self.data_dir
        )


@dataclass(frozen=True, slots=True)
class Share:
    """The part of the pages one process writes: every `of`-th item from the `part`-th."""

    opening: Opening
    within: str | None
    languages: tuple[str, ...]
    build: Path
    part: int
    of: int


def _write_share(share: Share, site: StaticSite | None = None) -> tuple[int, int, int]:
    """Write one share of the items, each in every language; (pages, files, bytes)."""
    own = site is None
    workspace = share.opening.open() if site is None else site.workspace
    try:
        if site is None:
            site = StaticSite(workspace, workspace.site_contents(share.within))
        items = list(plan(site))
        written = _written(site, items, share.languages)
        pages = files = size = 0
        for index, item in enumerate(items):
            if index % share.of != share.part:
                continue
            for language in share.languages if item.page else (_i18n.DEFAULT,):
                name = file_of(item.path, language)
                assert name is not None
                with _i18n.speaking(language):
                    text = item.build()
                if item.page:
                    text = rewrite_links(text, static_target(name, language, written))
                    pages += 1
                size += _write(share.build / name, text)
                files += 1
        return pages, files, size
    finally:
        if own:
            workspace.close()


def _written(site: StaticSite, items: list[Item], languages: tuple[str, ...]) -> set[str]:
    """Every file the site will have: the links of each page point only at these."""
    written: set[str] = {OUTSIDE, *(f"{language}/{OUTSIDE}" for language in languages)}
    for item in items:
        for language in languages if item.page else (_i18n.DEFAULT,):
            name = file_of(item.path, language)
            if name is None:
                raise AssertionError(f"no file for {item.path}")  # the plan and the links disagree
            written.add(name)
    written |= {f"static/{p.name}" for p in STATIC.iterdir()}
    written |= feed_files(site)
    written |= {str(file_of(_published_path(sha256), _i18n.DEFAULT)) for sha256 in site.published}
    written |= {"data/search-index.js", "data/detainers.csv", "data/detainers.json"}
    return written


def write_site(
    workspace: Workspace,
    directory: Path,
    *,
    within: str | None = None,
    languages: tuple[str, ...] = _i18n.LANGUAGES,
    workers: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> SiteReport:
    """Write the static site of the workspace's public records to `directory` (replacing a site this
    command wrote there before), for the nation or `within` one state or county. The pages are shared
    among `workers` processes (default: one per core, at most four; one for a small site)."""
    started = time.perf_counter()
    directory = Path(directory).absolute()
    _replaceable(directory)
    contents = workspace.site_contents(within)
    site = StaticSite(workspace, contents)
    items = list(plan(site))
    written = _written(site, items, languages)
    if workers is None:
        workers = 1 if len(items) < 2000 else max(1, min(4, os.cpu_count() or 1))
    directory.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".part", dir=directory.parent))
    try:
        opening = Opening.of(workspace)
        shares = [Share(opening, within, languages, build, part, workers) for part in range(workers)]
        if progress:
            progress("write site", 0, workers)
        if workers == 1:
            results = [_write_share(shares[0], site)]
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                results = []
                for done, result in enumerate(pool.map(_write_share, shares), start=1):
                    results.append(result)
                    if progress:
                        progress("write site", done, workers)
        pages = sum(r[0] for r in results)
        files = sum(r[1] for r in results)
        size = sum(r[2] for r in results)
        for write_feeds in FEED_WRITERS:
            size += write_feeds(site, build / "feeds", written)
        copies, copied = copy_published(site, build)
        files += copies
        size += copied
        index = json.dumps(search_index(site), ensure_ascii=False, separators=(",", ":"))
        size += _write(build / "data/search-index.js", f"window.DISENTANGLE_INDEX={index};\n")
        data_files, data_bytes = _data(site, build / "data")
        shutil.copytree(STATIC, build / "static")
        assets = list((build / "static").iterdir())
        files += 2 + data_files + len(assets)
        size += data_bytes + sum(a.stat().st_size for a in assets)
        (build / MARKER).write_text("written by disentangle publish site\n", encoding="utf-8")
        _swap(build, directory)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return SiteReport(directory, within, tuple(languages), pages, files, size, time.perf_counter() - started)


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def _data(site: StaticSite, folder: Path) -> tuple[int, int]:
    """The downloads of the whole site: its agreements, agencies, places and counties as CSV and JSON."""
    tables = site.workspace.public_tables(site.contents)
    files = size = 0
    for name, (columns, rows) in tables.items():
        write_csv(folder / f"{name}.csv", columns, rows)
        write_json(folder / f"{name}.json", rows)
        files += 2
        size += (folder / f"{name}.csv").stat().st_size + (folder / f"{name}.json").stat().st_size
    report = site.workspace.detainers_national()
    size += _write(folder / "detainers.json", _json(report.to_dict()))
    from disentangle.publish.detainer_csv import DETAINER_COLUMNS, detainer_csv

    size += _write(folder / "detainers.csv", detainer_csv(report.rows(), DETAINER_COLUMNS))
    return files + 2, size


def _swap(build: Path, directory: Path) -> None:
    """Put the finished site in place: the old one (a site this command wrote) goes only after."""
    old = None
    if directory.exists():
        old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
        directory.rename(old)
    build.chmod(0o755)
    build.rename(directory)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
