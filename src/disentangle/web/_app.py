"""Assembles the app: pages, API, static files, the guard, and how errors are shown."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disentangle import __version__
from disentangle.errors import DisentangleError, ForbiddenError, InputError, NotFoundError
from disentangle.web import (
    _act,
    _alerts,
    _api,
    _detainers,
    _discovery,
    _documents,
    _i18n,
    _pages,
    _people,
    _redaction,
)
from disentangle.web._links import web_target
from disentangle.web._security import LOOPBACK_HOSTS, CsrfError, Guard
from disentangle.web._site import STATIC, Site
from disentangle.workspace import Workspace

DESCRIPTION = (
    "Local law enforcement's agreements with ICE — 287(g), detention contracts, Secure Communities, "
    "DHS designations — from public records. Every fact carries its source: dataset, file and row."
)


TOKEN_ENV = "DISENTANGLE_TOKEN"
JOB_STOP_SECONDS = 10.0  # how long a stopping server waits for its jobs to record their ends


def app_from_environment() -> FastAPI:
    """The app for a worker process that uvicorn starts by itself (`disentangle serve --workers N`): the
    workspace folder, database and token come from the environment the CLI set before starting them."""
    return create_app(Workspace(), token=os.environ.get(TOKEN_ENV) or None)


def create_app(
    workspace: Workspace,
    *,
    token: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
    cache_seconds: float = 60.0,
) -> FastAPI:
    """The web app over a Workspace.

    Without a token it answers only requests addressed to a loopback name (127.0.0.1, localhost, ::1).
    With a token, every request but the login form must carry it (Authorization: Bearer, the
    X-Disentangle-Token header, or the session cookie the login form sets). Results are memoised for
    `cache_seconds` (0 turns that off)."""
    app = FastAPI(
        title="Disentangle",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # the interactive docs load scripts from a CDN; the app works offline
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_warm_up,
    )
    app.state.site = Site(workspace, token=token, cache_seconds=cache_seconds)
    app.include_router(_api.router)
    app.include_router(_documents.api)
    app.include_router(_act.api)
    app.include_router(_discovery.api)
    app.include_router(_alerts.router)
    app.include_router(_pages.router)
    app.include_router(_discovery.router)
    app.include_router(_redaction.router)
    app.include_router(_documents.router)
    app.include_router(_act.router)
    app.include_router(_detainers.router)
    app.include_router(_people.router)
    app.include_router(_people.api)
    app.mount("/static", StaticFiles(directory=STATIC, follow_symlink=False), name="static")
    app.add_api_route("/api", _api_index, include_in_schema=False)
    app.add_api_route("/healthz", _healthz, include_in_schema=False)
    app.add_api_route("/readyz", _readyz, include_in_schema=False)
    # Signed-in users (or the token) guard a server that others reach; without either, only loopback names.
    open_to_hosts = bool(token) or workspace.has_users()
    hosts = allowed_hosts if allowed_hosts is not None else (None if open_to_hosts else LOOPBACK_HOSTS)
    app.add_middleware(
        Guard,
        token=token,
        allowed_hosts=hosts,
        sessions=app.state.site.session_principal,
        people=app.state.site,
    )
    app.add_middleware(Language)  # outermost: the guard and the routes see the path without /es

    app.add_exception_handler(DisentangleError, _registry_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


@asynccontextmanager
async def _warm_up(app: FastAPI) -> AsyncIterator[None]:
    """Build the map page in the background at start-up, so the first visitor does not wait for it."""
    site: Site = app.state.site
    if site.memo.seconds > 0:
        threading.Thread(target=_build_home, args=(site,), name="disentangle-warm-up", daemon=True).start()
    yield
    # The server is stopping (SIGTERM, Ctrl-C): its jobs stop their workers and record what was not read.
    site.stopping.set()
    deadline = time.monotonic() + JOB_STOP_SECONDS
    for thread in list(site.job_threads):
        thread.join(timeout=max(0.0, deadline - time.monotonic()))


def _build_home(site: Site) -> None:
    # An empty or unreachable registry fails here silently: the first request will say why.
    with contextlib.suppress(Exception):
        for language in _i18n.LANGUAGES:
            site.memo.get(
                (language, ("home", _pages.DEFAULT_LAYER)),
                _i18n.in_language(language, lambda: _pages.home_page(site, _pages.DEFAULT_LAYER)),
            )


class Language:
    """Chooses each request's language (_i18n.choose), takes the /es or /en prefix off the path, and keeps
    the reader in that language: a redirect stays under the prefix, a named language is remembered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = _cookies(headers.get("cookie", ""))
        language, path, named = _i18n.choose(
            scope["path"], cookies.get(_i18n.COOKIE), headers.get("accept-language", "")
        )
        scope = {**scope, "path": path, "raw_path": path.encode()}
        target = web_target(language)

        async def send_in_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                location = response_headers.get("location")
                if location and location.startswith("/"):
                    response_headers["location"] = target(location)
                response_headers.add_vary_header("Accept-Language")
                if named:
                    response_headers.append(
                        "set-cookie", f"{_i18n.COOKIE}={language}; Path=/; SameSite=Lax; Max-Age=31536000"
                    )
            await send(message)

        with _i18n.speaking(language):
            await self.app(scope, receive, send_in_language)


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            found[name] = value
    return found


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.endswith(".json") or path == "/openapi.json"


def _error(request: Request, status: int, message: str, detail: Any = None) -> Response:
    if _wants_json(request):
        body: dict[str, Any] = {"error": message}
        if detail is not None:
            body["detail"] = detail
        return JSONResponse(body, status_code=status)
    site: Site = request.app.state.site
    asked = str(request.path_params.get("q") or request.path_params.get("agency_id") or "")
    context = {"status": status, "message": message, "asked": asked}
    return site.render(request, "error.html", context, status_code=status)


async def _registry_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, CsrfError | ForbiddenError):
        status = 403
    elif isinstance(exc, NotFoundError):
        status = 404
    elif isinstance(exc, InputError):
        status = 400
    else:
        status = 503  # the store refused: the database is missing, locked or of another version
    return _error(request, status, str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = "nothing here" if exc.status_code == 404 else str(exc.detail)
    return _error(request, exc.status_code, message)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")} for e in exc.errors()
    ]
    summary = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
    return _error(request, 422 if _wants_json(request) else 400, f"bad request: {summary}", problems)


def _healthz() -> Response:
    """Liveness: the process answers (a load balancer or systemd watchdog restarts it when it does not)."""
    return JSONResponse({"status": "ok"})


def _readyz(request: Request) -> Response:
    """Readiness: the database answers with its migrations applied, and the broker (when configured)
    answers; 503 with the failing check named (never an address or a password) when one does not."""
    checks = request.app.state.site.workspace.readiness()
    ready = checks["database"] == "ok" and checks["broker"] in ("ok", "not configured")
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503
    )


def _api_index(request: Request) -> Response:
    """A readable list of the API's routes, from the OpenAPI description (the app has no CDN docs)."""
    schema = request.app.openapi()
    routes = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            routes.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [p["name"] for p in operation.get("parameters", [])],
                }
            )
    site: Site = request.app.state.site
    return site.render(request, "api.html", {"routes": routes})
