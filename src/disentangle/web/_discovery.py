"""Discovery pages: campaigns of records requests, the agreements found in released documents and their
review, and the actions recorded on an agreement. Private work of this workspace: never memoised."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from disentangle.errors import InputError
from disentangle.letters._campaigns import campaign_topics
from disentangle.web._act import Fields, json_response, posted, render, requester_of, site_of
from disentangle.workspace import RECORDABLE

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["discovery"])

BUNDLE_TYPES = {"docx", "pdf", "md", "html"}


def _today() -> date:
    return date.today()


# ------------------------------------------------------------------------------------------ campaigns
@router.get("/campaigns")
async def campaigns_page(request: Request, scope: str = "") -> Response:
    site = site_of(request)
    rows = await run_in_threadpool(site.workspace.campaigns)
    return render(
        request,
        "campaigns.html",
        {
            "campaigns": rows,
            "topics": list(campaign_topics().values()),
            "form": Fields({"scope": scope}),
            "error": "",
        },
    )


@router.post("/campaigns")
async def campaign_new(request: Request) -> Response:
    """Start a campaign from the form: one request per agency of the place, kept together."""
    site = site_of(request)
    form = await posted(request)
    try:
        about = form.required("about", "What the campaign asks for")
        scope = form.required("scope", "The place")
        requester = requester_of(form)
        started = await run_in_threadpool(
            lambda: site.workspace.start_campaign(
                about, scope, requester, today=_today(), since=form.day("since", "Since")
            )
        )
    except InputError as exc:
        rows = await run_in_threadpool(site.workspace.campaigns)
        return render(
            request,
            "campaigns.html",
            {"campaigns": rows, "topics": list(campaign_topics().values()), "form": form, "error": str(exc)},
            status_code=400,
        )
    return RedirectResponse(f"/campaign/{quote(started['id'])}", status_code=303)


@router.get("/campaign/{campaign_id}.zip")
async def campaign_zip(request: Request, campaign_id: str, fmt: str = "docx") -> Response:
    if fmt not in BUNDLE_TYPES:
        raise InputError(f"letters come as {', '.join(sorted(BUNDLE_TYPES))}, not {fmt!r}")
    data = await run_in_threadpool(site_of(request).workspace.campaign_bundle, campaign_id, fmt)
    return _attachment(data, "application/zip", f"{campaign_id}-letters.zip")


@router.get("/campaign/{campaign_id}.csv")
async def campaign_csv(request: Request, campaign_id: str) -> Response:
    text = await run_in_threadpool(site_of(request).workspace.campaign_csv, campaign_id)
    return _attachment(text.encode("utf-8"), "text/csv; charset=utf-8", f"{campaign_id}-requests.csv")


@router.get("/campaign/{campaign_id}")
async def campaign_page(request: Request, campaign_id: str) -> Response:
    site = site_of(request)
    result = await run_in_threadpool(lambda: site.workspace.campaign(campaign_id, today=_today()))
    return render(request, "campaign.html", {"campaign": result})


@api.get("/campaigns", summary="This workspace's discovery campaigns (private: never exported)")
async def campaigns_api(request: Request) -> Response:
    return json_response(await run_in_threadpool(site_of(request).workspace.campaigns))


@api.get("/campaign/{campaign_id}", summary="A campaign: each agency's request, replies, documents, finds")
async def campaign_api(request: Request, campaign_id: str) -> Response:
    site = site_of(request)
    return json_response(
        await run_in_threadpool(lambda: site.workspace.campaign(campaign_id, today=_today()))
    )


# ------------------------------------------------------------------------------------------ found agreements
@router.get("/found")
async def found_page(request: Request) -> Response:
    """Every document read as an agreement: the ones waiting for a person first."""
    rows = await run_in_threadpool(site_of(request).workspace.found_agreements)
    rows.sort(key=lambda r: (r["review"] != "needs-review", r["agency_name"]))
    return render(request, "found.html", {"found": rows})


@router.post("/found/{sha256}/review")
async def found_review(request: Request, sha256: str) -> Response:
    site = site_of(request)
    form = await posted(request)
    decision = form.required("decision", "The decision")
    agency = form.text("agency") or None
    result = await run_in_threadpool(lambda: site.workspace.review_found(sha256, decision, agency=agency))
    site.memo.clear()
    target = f"/agreement/{quote(result['agreement_id'])}" if result["in_registry"] else "/found"
    return RedirectResponse(target, status_code=303)


@api.get("/found", summary="Agreements read from documents, with their review state (private)")
async def found_api(request: Request, review: str | None = None) -> Response:
    site = site_of(request)
    return json_response(await run_in_threadpool(lambda: site.workspace.found_agreements(review=review)))


# ------------------------------------------------------------------------------------------ actions
@router.post("/agreement/{agreement_id}/actions")
async def record_action(request: Request, agreement_id: str) -> Response:
    """Record what happened to an agreement (a letter sent, terminated, declared void...)."""
    site = site_of(request)
    form = await posted(request)
    kind = form.required("kind", "What happened")
    if kind not in {k.value for k in RECORDABLE}:
        raise InputError(f"unknown event {kind!r}")
    on = form.day("on", "The date") or _today()
    await run_in_threadpool(
        lambda: site.workspace.record_action(agreement_id, kind, on, note=form.text("note"))
    )
    site.memo.clear()
    return RedirectResponse(f"/agreement/{quote(agreement_id)}#life-title", status_code=303)


def agreement_work(site: Any, agreement_id: str) -> dict[str, Any]:
    """What the agreement page shows of this workspace's work on it: the document it was read from, the
    actions recorded and the events a person may record next."""
    found = site.workspace.found_of_agreement(agreement_id)
    return {
        "found": found,
        "actions": site.workspace.agreement_actions(agreement_id),
        "recordable": [k.value for k in RECORDABLE],
    }


def _attachment(data: bytes, media_type: str, name: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
    )
