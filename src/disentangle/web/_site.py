"""What every view shares: the Workspace, the templates, and the memo of expensive results."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
from babel.dates import format_date
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from disentangle import __version__
from disentangle.model import AgencyHistory, AgreementView, ChangeRecord
from disentangle.publish import LAYER_BY_KEY
from disentangle.web import _i18n, _labels
from disentangle.web._atlas import Atlas, load_atlas
from disentangle.web._cache import Memo, Page
from disentangle.web._chart import render_chart
from disentangle.web._links import rewrite_links, web_target
from disentangle.web._map import RenderedMap, render_map
from disentangle.web._security import USER_PRINCIPAL
from disentangle.workspace import User, Workspace

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

T = TypeVar("T")
ACCOUNTS_RECHECK_SECONDS = 2.0


def place_href(place: Any) -> str:
    """The page of a jurisdiction: by FIPS when it has one, else by OCD id (a dict, or an id or FIPS)."""
    key = (place.get("fips") or place.get("id") or "") if isinstance(place, dict) else str(place or "")
    return "/place/" + quote(key, safe="/:~._-")


def agency_href(agency_id: str) -> str:
    return "/agency/" + quote(agency_id, safe="~._-")


def agreement_href(agreement_id: str) -> str:
    return "/agreement/" + quote(agreement_id, safe="~._-")


def source_text(source: dict[str, Any] | None) -> str:
    """Where a fact comes from, in one line: the public record, its row, its publisher and address."""
    if not source:
        return "no source recorded"
    parts = [str(source.get("label") or "source unknown")]
    if source.get("row") is not None:
        parts.append(f"row {source['row']}")
    if source.get("publisher"):
        parts.append(str(source["publisher"]))
    if source.get("url"):
        parts.append(str(source["url"]))
    return ", ".join(parts)


def external_url(url: Any) -> str | None:
    """A link out (an ICE document) only when it is plain http(s): never javascript: or data: URLs."""
    text = str(url or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else None


def localized(row: Any, name: str) -> Any:
    """A knowledge entry's own translation of a field in the page's language, else the English: `row` is
    a mapping with "translations" (scorecard criteria) or an object with a `translations` attribute (a
    records law's facts)."""
    if isinstance(row, Mapping):
        found, english = row.get("translations"), row.get(name)
    else:
        found, english = getattr(row, "translations", None), getattr(row, name, None)
    return (found or {}).get(_i18n.current(), {}).get(name) or english


def weekday(day: date) -> str:
    """The day of the week in the page's language ("Monday", "lunes")."""
    return format_date(day, "EEEE", locale=_i18n.current())


def template_environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, HTML and Atom alike: data never becomes markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # The catalog of the language being rendered (a context variable: one environment serves every
    # language, each request and each page of the static site in its own).
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _i18n.gettext_, _i18n.ngettext_, newstyle=True
    )
    tr = _i18n.translate
    environment.filters.update(
        model=lambda code: tr(_labels.label(_labels.MODELS, code)),
        short_model=lambda code: _labels.label(_labels.SHORT_MODELS, code),
        status=lambda code: tr(_labels.label(_labels.STATUSES, code)),
        event=lambda code: tr(_labels.label(_labels.EVENTS, code)),
        review=lambda code: tr(_labels.label(_labels.REVIEWS, code)),
        origin=lambda code: tr(_labels.label(_labels.ORIGINS, code)),
        county_rule=lambda code: tr(_labels.label(_labels.COUNTY_RULES, code)),
        fact=lambda code: tr(_labels.label(_labels.FACTS, code)),
        evidence_kind=lambda code: tr(_labels.label(_labels.EVIDENCE_KINDS, code)),
        meaning=lambda code: tr(_labels.label(_labels.MEANINGS, code)),
        agency_size=lambda code: tr(_labels.label(_labels.AGENCY_SIZES, code)),
        redaction_kind=lambda code: tr(_labels.label(_labels.REDACTION_KINDS, code)),
        tr=tr,
        # A knowledge entry's own translation of a field (scorecard criteria carry theirs as data).
        localized=localized,
        weekday=weekday,
        fact_value=_labels.fact_value,
        number=lambda n: f"{int(n or 0):,}",
        place_href=place_href,
        agency_href=agency_href,
        agreement_href=agreement_href,
        source_text=source_text,
        external_url=external_url,
    )
    environment.globals.update(version=__version__, language_names=_i18n.LANGUAGE_NAMES)
    return environment


class Site:
    """The app's shared state: one per create_app()."""

    def __init__(self, workspace: Workspace, *, token: str | None, cache_seconds: float) -> None:
        self.workspace = workspace
        self.token = token
        self.templates = Jinja2Templates(env=template_environment())
        self.memo = Memo(cache_seconds, size=1024)
        self._checked = -1.0
        self._generation: tuple[Any, ...] | None = None
        self._csrf_key: bytes | None = None
        self._accounts = False
        self._accounts_checked = -1e9
        self.stopping = threading.Event()  # set when the server stops: its running jobs stop too
        self.job_threads: set[threading.Thread] = set()

    @property
    def csrf_key(self) -> bytes:
        """The server-side key that signs every form's token (kept in the database for all workers)."""
        if self._csrf_key is None:
            self._csrf_key = self.workspace.web_key()
        return self._csrf_key

    # -- people (the Guard's view of user accounts) -------------------------------------------------------

    def accounts(self) -> bool:
        """Whether any user exists (asked again every few seconds: adding the first user on the command
        line makes a running server ask everyone to sign in)."""
        now = time.monotonic()
        if now - self._accounts_checked > ACCOUNTS_RECHECK_SECONDS:
            self._accounts = self.workspace.has_users()
            self._accounts_checked = now
        return self._accounts

    def principal_of_token(self, token: str) -> str | None:
        user = self.workspace.user_by_token(token)
        return f"{USER_PRINCIPAL}{user.id}" if user is not None else None

    def user_of(self, principal: str) -> User | None:
        return self.workspace.user_by_id(principal.removeprefix(USER_PRINCIPAL))

    def acting_as(self, user: Any | None) -> AbstractContextManager[None]:
        return self.workspace.acting_as(user)

    def record_change(self, method: str, path: str, status: int) -> None:
        self.workspace.audit(f"web {method}", path, {"status": status})

    def session_principal(self, session_id: str) -> str | None:
        """Whose live session this cookie opens (None: unknown, expired or revoked)."""
        session = self.workspace.web_session(session_id)
        return session.principal if session is not None else None

    def atlas(self) -> Atlas:
        return load_atlas(self.workspace.data_dir)

    def county_rows(self, *, scored: bool = False) -> list[dict[str, Any]]:
        """Every county's registry row; `scored` adds its scorecard counts (a few seconds to build)."""
        if scored:
            scored_rows: list[dict[str, Any]] = self.memo.get("county_map_scored", self._scored_rows)
            return scored_rows
        rows: list[dict[str, Any]] = self.memo.get("county_map", self.workspace.county_map)
        return rows

    def _scored_rows(self) -> list[dict[str, Any]]:
        cards = self.workspace.scorecard_map()
        return [{**row, "scorecard": cards.get(str(row.get("fips")))} for row in self.county_rows()]

    def county_row(self, fips: str | None) -> dict[str, Any] | None:
        if not fips:
            return None
        by_fips: dict[str, dict[str, Any]] = self.memo.get(
            "county_by_fips", lambda: {str(r["fips"]): r for r in self.county_rows() if r.get("fips")}
        )
        return by_fips.get(fips)

    def county_map(self, layer: str) -> RenderedMap:
        chosen = LAYER_BY_KEY[layer]
        language = _i18n.current()
        rendered: RenderedMap = self.memo.get(
            ("map", layer, language),
            _i18n.in_language(
                language,
                lambda: render_map(
                    self.atlas(), self.county_rows(scored=chosen.scored), chosen, place_href, _i18n.translate
                ),
            ),
        )
        return rendered

    def changes(self, limit: int) -> list[ChangeRecord]:
        """The newest changes on ICE's lists, for the home page and the feed."""
        return self.workspace.latest_changes(limit)

    def chart(self) -> Any:
        return self.memo.get("chart", lambda: render_chart(self.workspace.stats("month")))

    static_site = False  # the web app: forms, the workspace's own papers and the API are here

    def render(
        self, request: Request, name: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        context = {"page_path": request.scope.get("path", "/"), **context}
        return HTMLResponse(self.render_text(name, context), status_code=status_code)

    def render_text(self, name: str, context: dict[str, Any]) -> str:
        return self.finish(self.templates.env.get_template(name).render(self.context(context)))

    def finish(self, html: str) -> str:
        """The rendered page with its links pointing where this copy lives: the reader's language."""
        language = _i18n.current()
        return html if language == _i18n.DEFAULT else rewrite_links(html, web_target(language))

    def context(self, context: dict[str, Any]) -> dict[str, Any]:
        return {
            "auth": self.token is not None or self.accounts(),
            "query": "",
            "data_age": self.data_age(),
            "lang": _i18n.current(),
            "static_site": self.static_site,
            "public_view": False,  # True: another organisation's public document, its published copy only
            "page_path": context.get("href") or "/",
            **context,
        }

    def record_dates(self) -> dict[str, dict[str, Any]]:
        """Workspace.record_dates for today, memoised."""
        today = date.today()
        dates: dict[str, dict[str, Any]] = self.memo.get(
            ("record_dates", today), lambda: self.workspace.record_dates(today=today)
        )
        return dates

    def data_age(self) -> dict[str, Any]:
        """How old ICE's newest 287(g) list in the registry is today: every page says so."""
        today = date.today()
        summary: dict[str, Any] = self.memo.get(
            ("summary", today), lambda: self.workspace.summary(today=today)
        )
        return {
            "latest": summary["latest_sheet"],
            "days": summary["latest_sheet_age_days"],
            "today": summary["today"],
            "begins": summary["history_begins"],
        }

    def fresh(self) -> None:
        """Forget every memoised page when the registry or the person's work changed since the last look
        (an import, a document read by a worker process, an agreement found or acted on): at most once
        a second, one small query."""
        now = time.monotonic()
        if now - self._checked < 1.0:
            return
        self._checked = now
        generation = self.workspace.generation()
        if generation != self._generation:
            self._generation = generation
            self.memo.clear()

    async def memoised(self, key: Any, build: Callable[[], T]) -> T:
        """A memoised value; a fresh one is served on the event loop, a missing one is built in a thread
        (building reads the database, which would otherwise hold every other request up)."""
        self.fresh()
        language = _i18n.current()
        key, build = (language, key), _i18n.in_language(language, build)
        found, value = self.memo.peek(key, build)
        if found:
            return value
        return await run_in_threadpool(self.memo.get, key, build)

    def show(self, q: str) -> dict[str, Any]:
        """Workspace.show, memoised: the place page, its downloads and /api/place share it."""
        self.fresh()
        result: dict[str, Any] = self.memo.get(("show", q), lambda: self.workspace.show(q))
        return result

    def agreement(self, agreement_id: str) -> AgreementView:
        result: AgreementView = self.memo.get(
            ("agreement", agreement_id), lambda: self.workspace.agreement(agreement_id)
        )
        return result

    def history(self, agency_id: str) -> AgencyHistory:
        result: AgencyHistory = self.memo.get(
            ("history", agency_id), lambda: self.workspace.history(agency_id)
        )
        return result


def cached_response(request: Request, page: Page) -> Response:
    """A memoised page: 304 when the client has it, gzip when the client takes it."""
    headers = {"etag": page.etag, "vary": "Accept-Encoding", "cache-control": "no-cache"}
    if request.headers.get("if-none-match") == page.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(page.gzipped, media_type=page.media_type, headers=headers)
    return Response(page.body, media_type=page.media_type, headers=headers)
