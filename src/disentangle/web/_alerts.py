"""Atom feeds per state, county, place, agency and campaign, and the nation's: views over Workspace feeds."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from disentangle import __version__
from disentangle.publish import _feeds as feeds
from disentangle.web import _i18n, _labels
from disentangle.web._cache import Page
from disentangle.web._site import Site, cached_response, source_text

router = APIRouter(include_in_schema=False)

ATOM_TYPE = "application/atom+xml; charset=utf-8"


def english_words() -> feeds.Words:
    """The words the pages use for the registry's codes, for feeds and digests alike."""
    return feeds.Words(
        event=lambda code: _labels.label(_labels.EVENTS, code),
        model=lambda code: _labels.label(_labels.MODELS, code),
        short_model=lambda code: _labels.label(_labels.SHORT_MODELS, code),
        source=source_text,
    )


def words_for(language: str) -> feeds.Words:
    """The same words in `language`, whatever the language being served (a subscriber's digest)."""
    if language == _i18n.DEFAULT:
        return english_words()
    catalog = _i18n.translations(language)
    return feeds.Words(
        event=lambda code: catalog.gettext(_labels.label(_labels.EVENTS, code)),
        model=lambda code: catalog.gettext(_labels.label(_labels.MODELS, code)),
        short_model=lambda code: _labels.label(_labels.SHORT_MODELS, code),
        source=source_text,
        say=catalog.gettext,
    )


def page_words() -> feeds.Words:
    """The words in the language being served (a feed under /es/ reads in Spanish)."""
    return words_for(_i18n.current())


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


async def _serve(
    request: Request, key: tuple[str, str], build_feed: Callable[[Site], feeds.Feed]
) -> Response:
    site = _site(request)
    base = str(request.base_url).rstrip("/")

    def build() -> Page:
        feed = build_feed(site)
        return Page.of(feeds.atom_xml(feed, base, generator_version=__version__), ATOM_TYPE)

    return cached_response(request, await site.memoised(("feed", *key, base, _i18n.current()), build))


@router.get("/feed.atom")
async def national(request: Request) -> Response:
    """The nation's newest changes on ICE's lists."""
    return await _serve(request, ("national", ""), lambda site: site.workspace.national_feed(page_words()))


@router.get("/feeds/state/{code}.atom")
async def state_feed(request: Request, code: str) -> Response:
    return await _serve(
        request, ("state", code), lambda site: site.workspace.alert_feed(page_words(), place=code.upper())
    )


@router.get("/feeds/county/{fips}.atom")
async def county_feed(request: Request, fips: str) -> Response:
    return await _serve(
        request, ("county", fips), lambda site: site.workspace.alert_feed(page_words(), place=fips)
    )


@router.get("/feeds/place/{fips}.atom")
async def place_feed(request: Request, fips: str) -> Response:
    return await _serve(
        request, ("place", fips), lambda site: site.workspace.alert_feed(page_words(), place=fips)
    )


@router.get("/feeds/agency/{agency_id}.atom")
async def agency_feed(request: Request, agency_id: str) -> Response:
    return await _serve(
        request,
        ("agency", agency_id),
        lambda site: site.workspace.alert_feed(page_words(), agency=agency_id),
    )


@router.get("/feeds/campaign/{campaign_id}.atom")
async def campaign_feed(request: Request, campaign_id: str) -> Response:
    """A campaign's deadlines and finds: the person's own work, never memoised past a change."""
    site = _site(request)
    base = str(request.base_url).rstrip("/")
    feed = await run_in_threadpool(site.workspace.alert_feed, page_words(), campaign=campaign_id)
    return Response(feeds.atom_xml(feed, base, generator_version=__version__), media_type=ATOM_TYPE)
