"""Detainer pages in real Chromium: a county page with its detainer chart and its policy beside its
practice, and the national page with the U.S.-citizen lifts by year."""

from __future__ import annotations

from typing import Any

import pytest
from artifacts import screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("fips", "name", "verdict"),
    [
        ("17031", "Cook County", "contradicts"),
        ("06085", "Santa Clara County", "agrees"),
        ("48201", "Harris County", None),
    ],
)
def test_county_page_draws_detainers_and_policy_against_practice(
    page: Any, fips: str, name: str, verdict: str | None
) -> None:
    page.goto(f"/place/{fips}")
    section = page.locator("section[aria-labelledby=detainers-title]")
    section.scroll_into_view_if_needed()
    chart = section.locator("svg.detainer-chart")
    box = chart.bounding_box()
    assert box["width"] > 600 and box["height"] > 150
    bars = chart.locator("rect.d-declined, rect.d-unsplit")
    assert bars.count() >= 1 and max(bars.nth(i).bounding_box()["height"] for i in range(bars.count())) > 20
    colour = chart.locator("rect.d-declined").first.evaluate("r => getComputedStyle(r).fill")
    assert colour == "rgb(0, 158, 115)", "the stylesheet colours the outcomes"
    if verdict:
        assert section.locator(f".verdict-{verdict}").first.is_visible()
        assert section.locator("blockquote").first.is_visible()
    else:
        assert "No policy on record says" in section.inner_text()
    section.screenshot(path=str(screenshot(page, f"detainers-county-{fips}")))


def test_national_page_shows_the_us_citizen_lifts(page: Any) -> None:
    page.goto("/detainers")
    heading = page.get_by_role("heading", name="Detainers lifted because the person was a U.S. citizen")
    heading.scroll_into_view_if_needed()
    section = page.locator("section[aria-labelledby=citizens-title]")
    bars = section.locator("rect.d-us_citizen")
    assert bars.count() == 9  # 2007 to 2015
    heights = [bars.nth(i).bounding_box()["height"] for i in range(9)]
    assert heights.index(max(heights)) == 5  # 2012, the year of 150
    assert "in all 693" in section.inner_text()
    section.screenshot(path=str(screenshot(page, "detainers-national-us-citizen")))
    page.locator("#click-title").scroll_into_view_if_needed()
    page.fill("input[name=database_share]", "0.25")
    page.click("text=Recompute")
    page.wait_for_url("**database_share=0.25**")
    assert "0.25" in page.locator("input[name=database_share]").input_value()
    screenshot(page, "detainers-national-click-and-arrest")
