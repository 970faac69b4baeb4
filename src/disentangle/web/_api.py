"""The JSON API under /api: every page's data, as the Workspace returns it."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from disentangle.publish import LAYERS, classify_rows
from disentangle.web._pages import site_of

router = APIRouter(prefix="/api", tags=["registry"])

Object = dict[str, Any]
Rows = list[dict[str, Any]]


def _json(data: Any) -> Response:
    """The Workspace's answer as JSON, as it is: the route's declared model is for the OpenAPI description
    only (checking a large answer against it again would cost more than the query)."""
    body = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    return Response(body, media_type="application/json")


Status = Literal["active", "removed", "superseded", "pending", "listed"]


@router.get("/summary", summary="The national picture", response_model=Object)
def summary(request: Request) -> Response:
    """ICE's latest 287(g) list (date, agreements by model), agreements by status, busiest states."""
    return _json(site_of(request).workspace.summary())


@router.get("/map", summary="Every county with what the map colours", response_model=Object)
def county_map(
    request: Request,
    state: Annotated[str | None, Query(description="Two-letter state code, e.g. TX", max_length=2)] = None,
    scorecard: Annotated[
        bool, Query(description="Add each county's scorecard counts (a few seconds the first time)")
    ] = False,
) -> Response:
    """One row per county: active 287(g) agreements by model, detention contracts, Secure Communities
    activation, DHS designation, and the band each map layer puts the county in."""
    rows = site_of(request).county_rows(scored=scorecard)
    layers = [layer for layer in LAYERS if scorecard or not layer.scored]
    if state:
        rows = [r for r in rows if (r["state"] or "").upper() == state.upper()]
    return _json(
        {
            "layers": [
                {
                    "key": layer.key,
                    "title": layer.title,
                    "description": layer.description,
                    "bands": [band.label for band in layer.bands],
                }
                for layer in layers
            ],
            "counties": classify_rows(rows, layers),
        }
    )


@router.get("/stats", summary="Counts of agreements on ICE's lists", response_model=Rows)
def stats(
    request: Request,
    by: Literal["model", "state", "month"] = "model",
    as_of: Annotated[date | None, Query(description="As ICE's list stood on this date (YYYY-MM-DD)")] = None,
) -> Response:
    """By model or state on the latest list (or the one in force on `as_of`), or per published sheet."""
    return _json(site_of(request).workspace.stats(by, as_of=as_of))


@router.get("/agreements", summary="Agreements, filtered like the CLI", response_model=Rows)
def agreements(
    request: Request,
    state: Annotated[str | None, Query(description="State code or name")] = None,
    model: Annotated[
        str | None, Query(description="jem, wso, tfm, or a kind such as igsa or usms-iga")
    ] = None,
    status: Status | None = None,
    as_of: Annotated[date | None, Query(description="As ICE's list stood on this date (YYYY-MM-DD)")] = None,
) -> Response:
    """Agreements with their status, agency, model, dates, jurisdiction and the ICE document URL."""
    return _json(site_of(request).workspace.agreements(state=state, model=model, status=status, as_of=as_of))


@router.get(
    "/place/{q:path}", summary="Everything known about a jurisdiction or agency", response_model=Object
)
def place(request: Request, q: str) -> Response:
    """By FIPS, OCD id, name ("Galveston County, TX"), agency id or ORI: agreements, events and facts,
    each with its source (dataset, file, row)."""
    return _json(site_of(request).show(q))


@router.get("/agency/{agency_id}", summary="An agency's agreements and their history", response_model=Object)
def agency(request: Request, agency_id: str) -> Response:
    """The agency (by id, ORI or name), its agreements and every dated event with its source."""
    return _json(site_of(request).history(agency_id))


@router.get("/agreement/{agreement_id}", summary="One agreement and its history", response_model=Object)
def agreement(request: Request, agreement_id: str) -> Response:
    """The agreement on ICE's lists with the sheet and row it was read from, its agency, and every dated
    event with its source."""
    return _json(site_of(request).agreement(agreement_id))


@router.get("/search", summary="Find jurisdictions and agencies", response_model=Rows)
def search(
    request: Request, q: Annotated[str, Query(min_length=1, description="Name, OCD id, FIPS or ORI")]
) -> Response:
    """Jurisdictions and agencies whose name, id, FIPS or ORI matches."""
    return _json(site_of(request).workspace.search(q))


@router.get("/changes", summary="The newest changes on ICE's lists", response_model=Rows)
def changes(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> Response:
    """Events (added, removed, re-signed, renamed…) newest first, each with its source sheet and row."""
    return _json(site_of(request).workspace.latest_changes(limit))
