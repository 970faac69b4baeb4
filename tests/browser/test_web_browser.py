"""The web app in real Chromium: the map draws every county, a click opens it, search leads to pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from artifacts import screenshot

from disentangle.workspace import Workspace

pytestmark = pytest.mark.browser


# Find a point inside a county's shape where that shape is what the pointer would hit.
POINT_INSIDE = """
(fips) => {
  const path = document.querySelector(`svg.map a[href="/place/${fips}"] path`);
  const box = path.getBoundingClientRect();
  for (let i = 1; i < 24; i++) {
    for (let j = 1; j < 24; j++) {
      const x = box.left + (box.width * i) / 24, y = box.top + (box.height * j) / 24;
      if (document.elementFromPoint(x, y) === path) return [x, y];
    }
  }
  return null;
}
"""


def test_the_map_renders_thousands_of_counties(page: Any, registry: Workspace) -> None:
    page.goto("/")
    shapes = page.locator("svg.map .counties path")
    assert shapes.count() > 3000
    box = page.locator("svg.map").bounding_box()
    assert box["width"] > 900 and box["height"] > 550
    # Shapes are really drawn: a county in the middle of the country has a painted, non-empty box.
    drawn = page.eval_on_selector_all(
        "svg.map .counties path", "paths => paths.filter(p => p.getBBox().width > 0).length"
    )
    assert drawn == shapes.count()
    fill = page.eval_on_selector('svg.map a[href="/place/48167"] path', "p => getComputedStyle(p).fill")
    assert fill not in ("", "none", "rgb(0, 0, 0)"), "the stylesheet colours the counties"
    screenshot(page, "web-map")


@pytest.mark.parametrize(
    ("fips", "name"), [("48167", "Galveston County, TX"), ("06037", "Los Angeles County, CA")]
)
def test_hovering_a_county_tells_its_facts_and_a_click_opens_it(page: Any, fips: str, name: str) -> None:
    page.goto("/")
    page.locator(f'svg.map a[href="/place/{fips}"]').scroll_into_view_if_needed()
    point = page.evaluate(POINT_INSIDE, fips)
    assert point is not None, f"{fips} has a point of its own on the map"
    page.mouse.move(*point)
    tip = page.locator("#map-tip")
    tip.wait_for(state="visible")
    assert tip.inner_text().startswith(name)
    screenshot(page, f"web-map-hover-{fips}")
    page.mouse.click(*point)
    page.wait_for_url(re.compile(rf"/place/{fips}$"))
    assert page.locator("h1").inner_text() == name
    screenshot(page, f"web-place-{fips}")


def test_search_leads_to_the_place_page(page: Any, registry: Workspace) -> None:
    page.goto("/")
    page.get_by_label("Search places and agencies").fill("Galveston County")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=Galveston"))
    page.get_by_role("link", name="Galveston County, TX", exact=True).click()
    page.wait_for_url(re.compile(r"/place/48167$"))
    assert page.locator("h1").inner_text() == "Galveston County, TX"
    agreements = page.get_by_role("table").filter(has_text="on record for agencies in Galveston County")
    assert agreements.get_by_role("link", name=re.compile(r"Galveston County Sheriff.s Office")).count() >= 1
    sources = [s for s in page.locator(".source").all_inner_texts() if "row" in s]
    assert len(sources) >= len(registry.show("48167")["agreements"])
    screenshot(page, "web-search-to-place")


def test_the_layer_menu_switches_the_map(page: Any) -> None:
    page.goto("/")
    page.get_by_label("Map layer").select_option("detention")
    page.wait_for_url(re.compile(r"\?layer=detention$"))
    assert page.locator("#map-title").inner_text() == "Detention facilities ICE used (list of 2017)"


def test_a_phone_sees_the_whole_page_without_sideways_scrolling(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server, is_mobile=True)
    tab = context.new_page()
    try:
        for path in ["/", "/place/48167", "/search?q=galveston"]:
            tab.goto(path)
            overflow = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        screenshot(tab, "web-phone-place")
    finally:
        context.close()
