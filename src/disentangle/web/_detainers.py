"""The detainer pages: national, per county, state, facility and agency; the contradictions of policy by
practice; CSV and JSON downloads. Each view asks the Workspace and draws."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from disentangle.assess import outcome_groups
from disentangle.errors import InputError
from disentangle.publish.detainer_csv import DETAINER_COLUMNS, detainer_csv
from disentangle.web._cache import Page
from disentangle.web._detainer_chart import (
    citizen_bars,
    form_bars,
    legend,
    month_bars,
    outcome_bars,
    outcome_series,
    render_bars,
)
from disentangle.web._downloads import download_name
from disentangle.web._i18n import gettext_
from disentangle.web._site import Site, cached_response
from disentangle.workspace import DetainerReport

router = APIRouter(include_in_schema=False)

RATE_KEYS = ("status_error_rate", "overstay_error_rate", "database_share", "overstay_share")


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _choices(request: Request) -> tuple[tuple[int | None, int | None], dict[str, str]]:
    """The period and click-and-arrest values asked for in the query string."""
    params = request.query_params
    period: list[int | None] = []
    for name in ("from", "to"):
        text = (params.get(name) or "").strip()
        if text and not text.isdigit():
            raise InputError(f"{name} must be a year, not {text!r}")
        period.append(int(text) if text else None)
    rates = {key: params[key] for key in RATE_KEYS if params.get(key)}
    return (period[0], period[1]), rates


def _report(site: Site, key: str | None, request: Request) -> DetainerReport:
    period, rates = _choices(request)
    memo_key = ("detainers", key, period, tuple(sorted(rates.items())))

    def build() -> DetainerReport:
        if key is None:
            return site.workspace.detainers_national(period=period, rates=rates)
        return site.workspace.detainers(key, period=period, rates=rates)

    report: DetainerReport = site.memo.get(memo_key, build)
    return report


def legend_rows(items: list[Any]) -> list[dict[str, Any]]:
    """A chart's legend as rows the templates localise: an outcome group's label carries the group's
    translations (knowledge/detainers/outcomes.yaml); a form's id needs none."""
    groups = {group.id: group for group in outcome_groups()}
    return [
        {
            "key": item.key,
            "label": item.label,
            "css": item.css,
            "translations": groups[item.key].translations if item.key in groups else {},
        }
        for item in items
    ]


def charts(report: DetainerReport) -> dict[str, Any]:
    """The page's charts: outcomes per year, U.S.-citizen lifts, detainers per month, forms per year."""
    series = report.series
    outcomes = outcome_bars(series)
    by_outcome = gettext_("Detainers by outcome and year: %(name)s") % {"name": report.name}
    out: dict[str, Any] = {
        "outcomes": render_bars(outcomes, outcome_series(), title=by_outcome),
        "outcomes_legend": legend_rows(legend(outcome_series(), outcomes)),
    }
    citizens = citizen_bars(series)
    if any(not bar.no_data for bar in citizens):
        out["citizens"] = render_bars(
            citizens,
            outcome_series(),
            title=gettext_("Detainers lifted as U.S. citizens, by year: %(name)s") % {"name": report.name},
        )
    months = month_bars(series)
    if months:
        out["months"] = render_bars(
            months, outcome_series(), title=gettext_("Detainers by month: %(name)s") % {"name": report.name}
        )
    forms, palette = form_bars(series)
    if forms:
        out["forms"] = render_bars(
            forms, palette, title=gettext_("Detainers by form and year: %(name)s") % {"name": report.name}
        )
        out["forms_legend"] = legend_rows(legend(palette, forms))
    return out


def place_section(site: Site, place: dict[str, Any]) -> dict[str, Any] | None:
    """The detainer part of a county's or state's page: its report and its outcome chart."""
    if place.get("level") not in ("county", "state"):
        return None
    key = str(place.get("fips") or place["id"])
    report: DetainerReport = site.memo.get(
        ("detainers", key, (None, None), ()), lambda: site.workspace.detainers(key)
    )
    bars = outcome_bars(report.series)
    return {
        "report": report,
        "chart": render_bars(
            bars,
            outcome_series(),
            title=gettext_("Detainers by outcome and year: %(name)s") % {"name": report.name},
        ),
        "legend": legend_rows(legend(outcome_series(), bars)),
        "href": f"/detainers/{key}",
    }


def _page(site: Site, report: DetainerReport, request: Request, href: str) -> Page:
    period, rates = _choices(request)
    return detainer_page(site, report, href, period=period, rates=rates, query_string=str(request.url.query))


def detainer_page(
    site: Site,
    report: DetainerReport,
    href: str,
    *,
    period: tuple[int | None, int | None] = (None, None),
    rates: dict[str, str] | None = None,
    query_string: str = "",
) -> Page:
    """The detainer page of a report (the nation, a state, county, facility or agency)."""
    context = {
        "report": report,
        "data": report.to_dict(),
        "charts": charts(report),
        "href": href,
        "period": period,
        "rates": rates or {},
        "query_string": query_string,
    }
    return Page.of(site.render_text("detainers.html", context))


def _download(report: DetainerReport, fmt: str) -> Response:
    name = download_name(f"detainers {report.name}", fmt)
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(
            detainer_csv(report.rows(), DETAINER_COLUMNS),
            media_type="text/csv; charset=utf-8",
            headers=headers,
        )
    body = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/detainers.json")
def national_json(request: Request) -> Response:
    return _download(_report(_site(request), None, request), "json")


@router.get("/detainers.csv")
def national_csv(request: Request) -> Response:
    return _download(_report(_site(request), None, request), "csv")


@router.get("/detainers")
async def national(request: Request) -> Response:
    site = _site(request)
    key = ("detainers-page", None, str(request.url.query))
    page = await site.memoised(key, lambda: _page(site, _report(site, None, request), request, "/detainers"))
    return cached_response(request, page)


@router.get("/detainers/contradictions.json")
def contradictions_json(request: Request) -> Response:
    found = _site(request).memo.get(
        "detainer-contradictions", _site(request).workspace.detainer_contradictions
    )
    body = json.dumps([c.to_dict() for c in found], indent=2, ensure_ascii=False, default=str)
    return Response(body, media_type="application/json")


@router.get("/detainers/contradictions")
async def contradictions(request: Request) -> Response:
    site = _site(request)

    def build() -> Page:
        found = site.memo.get("detainer-contradictions", site.workspace.detainer_contradictions)
        return Page.of(
            site.render_text("detainer_contradictions.html", {"found": [c.to_dict() for c in found]})
        )

    return cached_response(request, await site.memoised("detainer-contradictions-page", build))


@router.get("/detainers/{key:path}.json")
def detainers_json(request: Request, key: str) -> Response:
    return _download(_report(_site(request), key, request), "json")


@router.get("/detainers/{key:path}.csv")
def detainers_csv(request: Request, key: str) -> Response:
    return _download(_report(_site(request), key, request), "csv")


@router.get("/detainers/{key:path}")
async def detainers(request: Request, key: str) -> Response:
    site = _site(request)
    memo = ("detainers-page", key, str(request.url.query))
    page = await site.memoised(
        memo, lambda: _page(site, _report(site, key, request), request, f"/detainers/{key}")
    )
    return cached_response(request, page)
