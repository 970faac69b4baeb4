"""The static site in real Chromium, from file:// and from a plain static server on loopback: the map
zooms, a county page reads on a phone, search finds an agency, the Spanish pages say lang=es, and the
home page with its map loads in under a second."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from artifacts import screenshot

from disentangle.web import write_site
from disentangle.workspace import Workspace

pytestmark = pytest.mark.browser

COUNTY = "48167"  # Galveston County, TX
AGENCY_NAME = "Galveston County Sheriff"


@pytest.fixture(scope="module")
def site(registry: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("static") / "site"
    write_site(registry, folder, within=COUNTY)
    return folder


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def static_server(site: Path) -> Iterator[str]:
    """The site served by Python's own static file server (no app, no rewriting) on a loopback port."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(params=["file", "http"])
def origin(request: pytest.FixtureRequest, site: Path) -> str:
    if request.param == "file":
        return site.as_uri()
    server: str = request.getfixturevalue("static_server")
    return server


@pytest.fixture
def open_tab(browser: Any) -> Iterator[Callable[..., Any]]:
    """Opens a tab of a given width; any console error (a script failing, a file missing) fails."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(width: int = 1400, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        # A request the next navigation cancels (a favicon, say) is not a missing file.
        tab.on(
            "requestfailed",
            lambda r: errors.append(f"failed: {r.url}") if "ERR_ABORTED" not in (r.failure or "") else None,
        )
        return tab

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"the browser reported errors: {errors}"


def _name(origin: str) -> str:
    return "file" if origin.startswith("file:") else "http"


def test_the_map_is_there_and_zooms(open_tab: Callable[..., Any], origin: str) -> None:
    tab = open_tab()
    tab.goto(f"{origin}/index.html")
    assert tab.locator("svg.map .counties path").count() > 3000
    assert tab.locator("svg.map .state-labels text").count() >= 50
    before = tab.get_attribute("svg.map", "viewBox")
    tab.get_by_role("button", name="Zoom in").click()
    tab.get_by_role("button", name="Zoom in").click()
    after = tab.get_attribute("svg.map", "viewBox")
    assert after != before
    assert float(tab.get_attribute("svg.map", "data-zoom") or 0) == pytest.approx(4.0)
    assert tab.locator("svg.map .county-labels").is_visible(), "county names show once zoomed in"
    # The wheel zooms about the pointer; a drag pans.
    tab.evaluate("document.querySelector('svg.map').scrollIntoView()")
    box = tab.locator("svg.map").bounding_box()
    tab.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.4)
    tab.mouse.wheel(0, -400)
    tab.wait_for_function("Number(document.querySelector('svg.map').dataset.zoom) > 4.5")
    panned = tab.get_attribute("svg.map", "viewBox")
    tab.mouse.down()
    tab.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.3, steps=5)
    tab.mouse.up()
    assert tab.get_attribute("svg.map", "viewBox") != panned
    screenshot(tab, f"site-map-zoomed-{_name(origin)}")
    tab.get_by_role("button", name="Show the whole country").click()
    assert tab.get_attribute("svg.map", "viewBox") == before


def test_a_county_page_reads_on_a_phone(open_tab: Callable[..., Any], origin: str) -> None:
    tab = open_tab(390, 844)
    tab.goto(f"{origin}/place/{COUNTY}.html")
    assert tab.locator("h1").inner_text().startswith("Galveston County")
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390"
    height = tab.evaluate("document.documentElement.scrollHeight")
    assert height < 9000, f"the county page is {height} px tall on a phone"
    # A table's rows are cards, each cell labelled with its column.
    cell = tab.locator("#agreements-title ~ details .table-wrap td").first
    assert cell.get_attribute("data-label") == "Agency"
    assert tab.evaluate("getComputedStyle(document.querySelector('.table-wrap tr')).display") == "block"
    # Long sections start folded on a phone; a tap opens one.
    folded = tab.locator("#agreements-title ~ details")
    assert folded.get_attribute("open") is None
    folded.locator("summary").click()
    assert cell.is_visible()
    screenshot(tab, f"site-county-phone-{_name(origin)}", full_page=True)


def test_search_finds_an_agency_in_the_browser(open_tab: Callable[..., Any], origin: str) -> None:
    tab = open_tab()
    tab.goto(f"{origin}/index.html")
    tab.fill("#site-q", "galveston sheriff")
    tab.press("#site-q", "Enter")
    result = tab.locator("#static-search .results a", has_text=AGENCY_NAME).first
    result.wait_for()
    screenshot(tab, f"site-search-{_name(origin)}")
    result.click()
    tab.wait_for_url("**/agency/*.html")
    assert AGENCY_NAME in tab.locator("h1").inner_text()


def test_the_spanish_pages(open_tab: Callable[..., Any], origin: str) -> None:
    tab = open_tab()
    tab.goto(f"{origin}/es/index.html")
    assert tab.get_attribute("html", "lang") == "es"
    assert "Buscar" in tab.locator("header.site").inner_text()
    tab.locator(f'svg.map a[href$="place/{COUNTY}.html"]').first.wait_for(state="attached")
    screenshot(tab, f"site-home-es-{_name(origin)}")
    tab.goto(f"{origin}/es/place/{COUNTY}.html")
    assert tab.get_attribute("html", "lang") == "es"
    assert "Acuerdos" in tab.locator("#agreements-title").inner_text()
    tab.get_by_role("link", name="English").click()
    tab.wait_for_url(f"**/place/{COUNTY}.html")
    assert tab.get_attribute("html", "lang") == "en"


def test_the_home_page_with_its_map_loads_in_under_a_second(
    open_tab: Callable[..., Any], static_server: str
) -> None:
    tab = open_tab()
    tab.goto(f"{static_server}/index.html")  # once to warm the server's file cache, as a host's would be
    timings = []
    for _ in range(3):
        tab.goto(f"{static_server}/index.html", wait_until="load")
        timings.append(
            tab.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " return n.loadEventEnd - n.startTime; }"
            )
        )
        assert tab.locator("svg.map .counties path").count() > 3000
    print(f"home page with its map, loaded from a loopback static server: {timings} ms")
    assert min(timings) < 1000, f"the home page loaded in {timings} ms"
