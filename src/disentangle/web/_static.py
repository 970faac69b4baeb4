"""The static site: the web app's public pages written to a folder, in English and Spanish, with no server.

The pages are the web app's own templates and view code, rendered over a `StaticSite` — the app's `Site`
that sees only what may be published (publish/_public.py) — and their links rewritten file to file
(_links.py). Search runs in the browser from a prebuilt index. The folder is built beside its destination
and renamed into place at the end: a reader never sees half a site.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from disentangle.errors import InputError
from disentangle.publish import DEFAULT_LAYER, LAYERS
from disentangle.publish._public import public_agreement, public_history, public_shown
from disentangle.publish.exports import write_csv, write_json
from disentangle.web import _i18n, _pages
from disentangle.web._cache import Page
from disentangle.web._detainers import detainer_page
from disentangle.web._downloads import csv_text, records
from disentangle.web._links import OUTSIDE, file_of, rewrite_links, static_target
from disentangle.web._site import STATIC, Site, agency_href, agreement_href, place_href
from disentangle.workspace import SiteContents, Workspace

MARKER = ".disentangle-site"  # marks a folder this command wrote: only such a folder is replaced
FEEDS_HOOK = "feeds"  # per-place feeds (alerts) are written here beside changes.atom


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

    def finish(self, html: str) -> str:
        return html  # links are pointed file to file when each page is written

    def fresh(self) -> None:
        return None  # one build over one registry state

    def show(self, q: str) -> dict[str, Any]:
        return public_shown(super().show(q), self.private, self.documents)

    def history(self, agency_id: str) -> dict[str, Any]:
        return public_history(super().history(agency_id), self.private, self.documents)

    def agreement(self, agreement_id: str) -> dict[str, Any]:
        return public_agreement(super().agreement(agreement_id), self.documents)

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

    def changes(self, limit: int) -> list[dict[str, Any]]:
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
    yield Item("/", lambda: _pages.home_page(site, DEFAULT_LAYER).body.decode())
    for layer in LAYERS:
        if layer.key != DEFAULT_LAYER:
            yield Item(f"/map/{layer.key}", lambda k=layer.key: _pages.home_page(site, k).body.decode())
    yield Item(
        "/search", lambda: site.render_text("search.html", {"places": [], "agencies": [], "href": "/search"})
    )
    yield Item("/outside", lambda: site.render_text("outside.html", {"href": "/outside"}))
    for place in contents.jurisdictions:
        key = _key(place)
        yield Item(f"/place/{key}", lambda k=key: _page_text(_pages.place_page(site, k)))
        yield Item(f"/place/{key}.json", lambda k=key: _json(site.show(k)), page=False)
        yield Item(f"/place/{key}.csv", lambda k=key: csv_text(records(site.show(k))), page=False)
        if place["level"] in ("state", "county"):
            yield Item(f"/scorecard/{key}", lambda k=key: _scorecard(site, k))
            yield Item(f"/detainers/{key}", lambda k=key: _detainers(site, k))
    for agency in contents.agencies:
        agency_id = agency["id"]
        yield Item(agency_href(agency_id), lambda a=agency_id: _pages.agency_page(site, a).body.decode())
        yield Item(agency_href(agency_id) + ".json", lambda a=agency_id: _json(site.history(a)), page=False)
        yield Item(
            agency_href(agency_id) + ".csv",
            lambda a=agency_id: csv_text(records(site.history(a))),
            page=False,
        )
    for agreement in contents.agreements:
        agreement_id = agreement["id"]
        yield Item(agreement_href(agreement_id), lambda a=agreement_id: _agreement(site, a))
        yield Item(
            agreement_href(agreement_id) + ".json",
            lambda a=agreement_id: _json(site.agreement(a)),
            page=False,
        )
    for sha256 in contents.documents:
        yield Item(f"/documents/{sha256}", lambda s=sha256: _document(site, s))
    yield Item("/detainers", lambda: _detainers(site, None))


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
    if found and found.get("sha256") in site.documents:
        public_found = {k: v for k, v in found.items() if k not in ("request_id", "reviewed_by")}
    context["work"] = {"found": public_found, "actions": [], "recordable": []}
    context["csrf"] = ""
    return site.render_text("agreement.html", context)


def _document(site: StaticSite, sha256: str) -> str:
    from disentangle.web._documents import document_context

    context = document_context(site, sha256, with_reviews=False)
    return site.render_text("document.html", {**context, "csrf": "", "href": f"/documents/{sha256}"})


# ------------------------------------------------------------------------------------------- the index


def search_index(site: StaticSite) -> list[list[str]]:
    """[name, state, kind, app path, ORI or FIPS] for every page a reader may look for."""
    rows: list[list[str]] = []
    for place in site.contents.jurisdictions:
        rows.append(
            [place["name"], place["state"] or "", place["level"], place_href(place), place.get("fips") or ""]
        )
    for agency in site.contents.agencies:
        rows.append(
            [
                agency["name"],
                agency["state"] or "",
                "agency",
                agency_href(agency["id"]),
                agency.get("ori") or "",
            ]
        )
    return rows


# ------------------------------------------------------------------------------------------- writing


def _replaceable(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory}: is a file, not a folder for the site")
    if directory.exists() and any(directory.iterdir()) and not (directory / MARKER).exists():
        raise InputError(
            f"{directory}: the folder has files this command did not write; give an empty or new folder"
        )


def write_site(
    workspace: Workspace,
    directory: Path,
    *,
    within: str | None = None,
    languages: tuple[str, ...] = _i18n.LANGUAGES,
    progress: Callable[[str, int, int], None] | None = None,
) -> SiteReport:
    """Write the static site of the workspace's public records to `directory` (replacing a site this
    command wrote there before), for the nation or `within` one state or county."""
    started = time.perf_counter()
    directory = Path(directory).absolute()
    _replaceable(directory)
    contents = workspace.site_contents(within)
    site = StaticSite(workspace, contents)
    items = list(plan(site))
    written: set[str] = {OUTSIDE}
    for item in items:
        for language in languages if item.page else (_i18n.DEFAULT,):
            name = file_of(item.path, language) if item.page else file_of(item.path, _i18n.DEFAULT)
            if name is None:
                raise AssertionError(f"no file for {item.path}")  # a path the plan and the links disagree on
            written.add(name)
    written |= {f"{language}/{OUTSIDE}" for language in languages if language != _i18n.DEFAULT}
    written |= {f"static/{p.name}" for p in STATIC.iterdir()}
    written |= {"feeds/changes.atom", "data/search-index.js", "data/detainers.csv", "data/detainers.json"}
    directory.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".part", dir=directory.parent))
    pages = files = size = 0
    try:
        total = sum(len(languages) if i.page else 1 for i in items)
        done = 0
        for language in languages:
            with _i18n.speaking(language):
                for item in items:
                    if not item.page and language != languages[0]:
                        continue
                    name = file_of(item.path, language if item.page else _i18n.DEFAULT)
                    assert name is not None
                    text = item.build()
                    if item.page:
                        text = rewrite_links(text, static_target(name, language, written))
                        pages += 1
                    size += _write(build / name, text)
                    files += 1
                    done += 1
                    if progress and done % 500 == 0:
                        progress("write site", done, total)
        with _i18n.speaking(_i18n.DEFAULT):
            feed = _pages.changes_feed(site, "").body.decode()
            size += _write(
                build / "feeds/changes.atom",
                rewrite_links(feed, static_target("feeds/changes.atom", "en", written)),
            )
            files += 1
        size += _write(
            build / "data/search-index.js",
            "window.DISENTANGLE_INDEX="
            + json.dumps(search_index(site), ensure_ascii=False, separators=(",", ":"))
            + ";\n",
        )
        files += 1
        files_, bytes_ = _data(site, build / "data")
        files += files_
        size += bytes_
        shutil.copytree(STATIC, build / "static")
        for asset in (build / "static").iterdir():
            files += 1
            size += asset.stat().st_size
        (build / MARKER).write_text("written by disentangle publish site\n", encoding="utf-8")
        if progress:
            progress("write site", total, total)
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
