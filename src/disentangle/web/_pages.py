"""The HTML pages: map, search, place, agency, feed and login. Each view calls the Workspace and renders."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from disentangle.errors import InputError, NotFoundError
from disentangle.model import EventRecord
from disentangle.publish import DEFAULT_LAYER, LAYER_BY_KEY, LAYER_RECORDS, LAYERS, MODELS_287G
from disentangle.publish._glossary import load_glossary
from disentangle.web import _i18n
from disentangle.web import _security as security
from disentangle.web._act import agreement_costs, render
from disentangle.web._cache import Page
from disentangle.web._detainers import place_section
from disentangle.web._discovery import agreement_work
from disentangle.web._downloads import download
from disentangle.web._site import Site, agency_href, agreement_href, cached_response, place_href

router = APIRouter(include_in_schema=False)

CHANGES_ON_HOME = 12


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


@router.get("/")
async def home(request: Request, layer: str = DEFAULT_LAYER) -> Response:
    site = site_of(request)
    if layer not in LAYER_BY_KEY:
        raise InputError(f"unknown map layer {layer!r}: use {', '.join(LAYER_BY_KEY)}")
    return cached_response(request, await site.memoised(("home", layer), lambda: home_page(site, layer)))


def home_page(site: Site, layer: str) -> Page:
    """The map page for a layer: the heaviest page, memoised whole (and warmed at start-up)."""
    workspace = site.workspace
    atlas = site.atlas()
    dates = site.record_dates()
    context = {
        "summary": workspace.summary(),
        "layer_dates": [dates[key] for key in LAYER_RECORDS.get(layer, ()) if key in dates],
        "layer": LAYER_BY_KEY[layer],
        "layers": LAYERS,
        "map": site.county_map(layer),
        "chart": site.chart(),
        "months": workspace.stats("month"),
        "changes": site.changes(CHANGES_ON_HOME),
        "states": sorted(atlas.states, key=lambda s: s.name),
    }
    return Page.of(site.render_text("home.html", context))


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    site = site_of(request)
    text = q.strip()
    results = site.memo.get(("search", text), lambda: site.workspace.search(text)) if text else []
    context = {
        "query": text,
        "places": [r for r in results if r["match"] == "jurisdiction"],
        "agencies": [r for r in results if r["match"] == "agency"],
    }
    return site.render(request, "search.html", context)


@router.get("/place/{q:path}.csv")
def place_csv(request: Request, q: str) -> Response:
    return _place_download(request, q, "csv")


@router.get("/place/{q:path}.json")
def place_json(request: Request, q: str) -> Response:
    return _place_download(request, q, "json")


def _place_download(request: Request, q: str, fmt: str) -> Response:
    result = site_of(request).show(q)
    if result["type"] == "agency":
        return download(result, result["agency"]["id"], fmt)
    place = result["jurisdiction"]
    return download(result, f"{place['name']} {place['state'] or ''} {place['fips'] or ''}", fmt)


@router.get("/place/{q:path}")
async def place(request: Request, q: str) -> Response:
    site = site_of(request)
    page = await site.memoised(("place", q), lambda: place_page(site, q))
    if isinstance(page, str):  # an agency's id or ORI: its own page
        return RedirectResponse(page, status_code=303)
    return cached_response(request, page)


def place_page(site: Site, q: str) -> Page | str:
    result = site.show(q)
    if result["type"] == "agency":
        return agency_href(result["agency"]["id"])
    jurisdiction = result["jurisdiction"]
    events: dict[str, list[EventRecord]] = defaultdict(list)
    for event in result["events"]:
        events[event["agreement_id"]].append(event)
    counties: list[dict[str, Any]] = []
    if jurisdiction["level"] == "state":
        counties = sorted(
            (r for r in site.county_rows() if r["state"] == jurisdiction["state"]), key=lambda r: r["name"]
        )
    context = {
        "result": result,
        "place": jurisdiction,
        "parent": result["parent"],
        "agreements": result["agreements"],
        "active": [a for a in result["agreements"] if a["status"] == "active"],
        "events": result["events"],
        "events_by_agreement": events,
        "agreement_names": {a["id"]: a for a in result["agreements"]},
        "facts": result["facts"],
        "county": site.county_row(jurisdiction["fips"]) if jurisdiction["level"] == "county" else None,
        "counties": counties,
        "entanglement": LAYER_BY_KEY[DEFAULT_LAYER],
        "models_287g": MODELS_287G,
        "dates": site.record_dates(),
        "href": place_href(jurisdiction),
        # The scorecard is built in, from the registry facts already read for the page; this workspace's
        # records requests and documents are fragments act.js loads: they change between visits.
        "card": site.workspace.assess_shown(result).to_dict(),
        "costs": agreement_costs(site, result["agreements"]),
        "agencies": sorted({(a["agency_id"], a["agency"]) for a in result["agreements"]}, key=lambda x: x[1]),
        "law_agencies": [g for g in result["agencies"] if g["origin"] != "facility-list"],
        "detainers": place_section(site, jurisdiction),
    }
    return Page.of(site.render_text("place.html", context))


@router.get("/agency/{agency_id}.csv")
def agency_csv(request: Request, agency_id: str) -> Response:
    result = site_of(request).history(agency_id)
    return download(result, result["agency"]["id"], "csv")


@router.get("/agency/{agency_id}.json")
def agency_json(request: Request, agency_id: str) -> Response:
    result = site_of(request).history(agency_id)
    return download(result, result["agency"]["id"], "json")


@router.get("/agency/{agency_id}")
async def agency(request: Request, agency_id: str) -> Response:
    site = site_of(request)
    return cached_response(
        request, await site.memoised(("agency", agency_id), lambda: agency_page(site, agency_id))
    )


def agency_page(site: Site, agency_id: str) -> Page:
    result = site.history(agency_id)
    events: dict[str, list[EventRecord]] = defaultdict(list)
    for event in result["events"]:
        events[event["agreement_id"]].append(event)
    context = {
        "agency": result["agency"],
        "agreements": result["agreements"],
        "events": result["events"],
        "events_by_agreement": events,
        "agreement_names": {a["id"]: a for a in result["agreements"]},
        "href": agency_href(result["agency"]["id"]),
    }
    return Page.of(site.render_text("agency.html", context))


@router.get("/agreement/{agreement_id}.json")
def agreement_json(request: Request, agreement_id: str) -> Response:
    result = site_of(request).agreement(agreement_id)
    return download(result, result["agreement"]["id"], "json")


@router.get("/agreement/{agreement_id}")
async def agreement(request: Request, agreement_id: str) -> Response:
    """An agreement with what was read of it and done about it: this workspace's work, so never memoised,
    and a form (with its CSRF token) to record what happened next."""
    site = site_of(request)
    context = await run_in_threadpool(agreement_context, site, agreement_id)
    return render(request, "agreement.html", context)


def agreement_context(site: Site, agreement_id: str) -> dict[str, Any]:
    result = site.agreement(agreement_id)
    record = result["agreement"]
    return {
        "agreement": record,
        "agency": result["agency"],
        "events": result["events"],
        "agreement_names": {record["id"]: record},
        "href": agreement_href(record["id"]),
        "work": agreement_work(site, record["id"]),
        "today": datetime.now(UTC).date().isoformat(),
    }


@router.get("/glossary")
def glossary(request: Request) -> Response:
    site = site_of(request)
    return site.render(request, "glossary.html", glossary_context())


def glossary_context() -> dict[str, Any]:
    """The glossary's terms in the language being rendered."""
    language = _i18n.current()
    return {"terms": [term.in_language(language) for term in load_glossary()], "href": "/glossary"}


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    site = site_of(request)
    if site.token is None and not site.accounts():
        raise NotFoundError("this server has no access token: nothing to sign in to")
    signed_in = bool(getattr(request.state, "authorized", False))
    return _login_page(request, next, signed_in=signed_in)


def _login_page(
    request: Request, next: str, *, signed_in: bool = False, failed: bool = False, wait: int = 0
) -> Response:
    status = 429 if wait else 401 if failed else 200
    site = site_of(request)
    user = getattr(request.state, "user", None)
    context = {
        "csrf": security.form_token(request),
        "next": security.safe_next(next),
        "signed_in": signed_in,
        "failed": failed,
        "wait": wait,
        "accounts": site.accounts(),
        "with_token": site.token is not None,
        "user": user,
    }
    response = site_of(request).render(request, "login.html", context, status_code=status)
    security.remember_binding(request, response)
    response.headers["cache-control"] = "no-store"
    if wait:
        response.headers["retry-after"] = str(wait)
    return response


def _client(request: Request) -> str:
    # Behind a reverse proxy started with --forwarded-allow-ips, uvicorn puts the real client here.
    return request.client.host if request.client else "unknown"


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Sign in with an account's email and password, or with the server's access token: a server-side
    session that expires, and that logout ends. Too many wrong tries from one address (or from all
    together) in a few minutes make the next tries wait."""
    site = site_of(request)
    if site.token is None and not site.accounts():
        raise NotFoundError("this server has no access token: nothing to sign in to")
    security.check_csrf(request, csrf_token)
    client = _client(request)
    wait = site.workspace.login_wait(client)
    if wait:
        return _login_page(request, next, wait=wait)
    principal: str | None = None
    if email.strip():
        user = site.workspace.check_password(email, password)
        if user is not None:
            principal = f"{security.USER_PRINCIPAL}{user.id}"
            with site.workspace.acting_as(user):
                site.workspace.audit("session.open", user.email, {"client": client})
    elif site.token is not None and security.token_matches(token, site.token):
        principal = security.TOKEN_PRINCIPAL
    if principal is None:
        site.workspace.record_login_failure(client)
        return _login_page(request, next, failed=True)
    site.workspace.clear_login_failures(client)
    session_id, session = site.workspace.open_session(principal, client=client)
    response = RedirectResponse(security.safe_next(next), status_code=303)
    secure = request.url.scheme == "https"
    lifetime = int((session.expires_at - session.created_at).total_seconds())
    response.set_cookie(
        security.SESSION_COOKIE,
        session_id,
        max_age=lifetime,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    # A new binding for forms made before signing in: a token seen then is no use now.
    response.set_cookie(
        security.CSRF_COOKIE,
        security.new_csrf_token(),
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """End the session on the server (the cookie stops working everywhere at once) and forget it here."""
    security.check_csrf(request, csrf_token)
    session_id = request.cookies.get(security.SESSION_COOKIE)
    if session_id:
        site_of(request).workspace.revoke_session(session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    response.delete_cookie(security.CSRF_COOKIE, path="/")
    return response
