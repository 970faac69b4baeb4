"""The JSON API under /api: every page's data, as the Workspace returns it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from disentangle.web._map import LAYERS, classify_rows
from disentangle.web._pages import site_of

router = APIRouter(prefix="/api", tags=["registry"])

Status = Literal["active", "removed", "superseded", "pending", "listed"]


@router.get("/summary", summary="The national picture")
def summary(request: Request) -> dict[str, Any]:
    """ICE's latest 287(g) list (date, agreements by model), agreements by status, busiest states."""
    result: dict[str, Any] = site_of(request).workspace.summary()
    return result


@router.get("/map", summary="Every county with what the map colours")
def county_map(
    request: Request,
    state: Annotated[str | None, Query(description="Two-letter state code, e.g. TX", max_length=2)] = None,
) -> dict[str, Any]:
    """One row per county: active 287(g) agreements by model, detention contracts, Secure Communities
    activation, DHS designation, and the band each map layer puts the county in."""
    rows = site_of(request).county_rows()
    if state:
        rows = [r for r in rows if (r["state"] or "").upper() == state.upper()]
    return {
        "layers": [
            {
                "key": layer.key,
                "title": layer.title,
                "description": layer.description,
                "bands": [band.label for band in layer.bands],
            }
            for layer in LAYERS
        ],
        "counties": classify_rows(rows),
    }


@router.get("/stats", summary="Counts of agreements on ICE's lists")
def stats(
    request: Request,
    by: Literal["model", "state", "month"] = "model",
    as_of: Annotated[date | None, Query(description="As ICE's list stood on this date (YYYY-MM-DD)")] = None,
) -> list[dict[str, Any]]:
    """By model or state on the latest list (or the one in force on `as_of`), or per published sheet."""
    rows: list[dict[str, Any]] = site_of(request).workspace.stats(by, as_of=as_of)
    return rows


@router.get("/agreements", summary="Agreements, filtered like the CLI")
def agreements(
    request: Request,
    state: Annotated[str | None, Query(description="State code or name")] = None,
    model: Annotated[
        str | None, Query(description="jem, wso, tfm, or a kind such as igsa or usms-iga")
    ] = None,
    status: Status | None = None,
    as_of: Annotated[date | None, Query(description="As ICE's list stood on this date (YYYY-MM-DD)")] = None,
) -> list[dict[str, Any]]:
    """Agreements with their status, agency, model, dates, jurisdiction and the ICE document URL."""
    rows: list[dict[str, Any]] = site_of(request).workspace.agreements(
        state=state, model=model, status=status, as_of=as_of
    )
    return rows


@router.get("/place/{q:path}", summary="Everything known about a jurisdiction or agency")
def place(request: Request, q: str) -> dict[str, Any]:
    """By FIPS, OCD id, name ("Galveston County, TX"), agency id or ORI: agreements, events and facts,
    each with its source (dataset, file, row)."""
    result: dict[str, Any] = site_of(request).workspace.show(q)
    return result


@router.get("/agency/{agency_id}", summary="An agency's agreements and their history")
def agency(request: Request, agency_id: str) -> dict[str, Any]:
    """The agency (by id, ORI or name), its agreements and every dated event with its source."""
    result: dict[str, Any] = site_of(request).workspace.history(agency_id)
    return result


@router.get("/search", summary="Find jurisdictions and agencies")
def search(
    request: Request, q: Annotated[str, Query(min_length=1, description="Name, OCD id, FIPS or ORI")]
) -> list[dict[str, Any]]:
    """Jurisdictions and agencies whose name, id, FIPS or ORI matches."""
    rows: list[dict[str, Any]] = site_of(request).workspace.search(q)
    return rows


@router.get("/changes", summary="The newest changes on ICE's lists")
def changes(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[dict[str, Any]]:
    """Events (added, removed, re-signed, renamed…) newest first, each with its source sheet and row."""
    rows: list[dict[str, Any]] = site_of(request).workspace.latest_changes(limit)
    return rows
