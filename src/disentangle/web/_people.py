"""People on a shared server: who is signed in, publishing what an organisation holds, the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from disentangle.errors import InputError, NotFoundError
from disentangle.web import _security as security
from disentangle.web._act import json_response, render
from disentangle.web._site import Site
from disentangle.workspace import HoldingKind

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["people"])

_BACK = {
    HoldingKind.DOCUMENT: "/documents/{key}",
    HoldingKind.REQUEST: "/requests",
    HoldingKind.CAMPAIGN: "/campaign/{key}",
    HoldingKind.JOB: "/jobs/{key}",
}


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _kind(kind: str) -> HoldingKind:
    try:
        return HoldingKind(kind)
    except ValueError as exc:
        raise NotFoundError(f"nothing of kind {kind!r} is held") from exc


@router.post("/access/{kind}/{key}")
async def set_access(
    request: Request,
    kind: str,
    key: str,
    access: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """An editor or admin publishes what their organisation holds (private, organisation or public)."""
    security.check_csrf(request, csrf_token)
    held = _kind(kind)
    workspace = site_of(request).workspace
    await run_in_threadpool(workspace.set_access, held, key, access)
    site_of(request).memo.clear()  # a published document's agreement may now show on registry pages
    if request.scope.get("state", {}).get("by_header"):
        return json_response({"kind": held.value, "key": key, "holdings": workspace.holdings_of(held, key)})
    return RedirectResponse(_BACK[held].format(key=key), status_code=303)


@router.get("/audit")
def audit_page(request: Request) -> Response:
    """The audit log of the viewer's organisation, newest first (the operator's command line sees all)."""
    workspace = site_of(request).workspace
    if workspace.viewer is None and site_of(request).accounts():
        raise InputError("sign in with an account to see its organisation's audit log")
    entries = [entry.to_json() for entry in workspace.audit_log(limit=500)]
    return render(request, "audit.html", {"entries": entries})


@api.get("/audit", summary="The audit log of your organisation: who changed what, when (newest first)")
def audit_api(request: Request, limit: int = 200) -> Response:
    workspace = site_of(request).workspace
    return json_response([entry.to_json() for entry in workspace.audit_log(limit=max(1, min(limit, 5000)))])


@api.get("/me", summary="Who is signed in: email, organisation and role")
def me(request: Request) -> Response:
    user = site_of(request).workspace.viewer
    if user is None:
        return json_response({"user": None})
    return json_response(
        {"user": {"email": user.email, "organisation": user.organisation, "role": user.role.value}}
    )
