"""The national county map drawn as one inline SVG, each county in the band its layer gives it (publish/)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from disentangle.publish import CountyRow, Layer, county_title
from disentangle.web._atlas import Atlas

# The atlas (Census 2017 boundaries) and the registry disagree on three codes. Kusilvak Census Area,
# AK (02158) and Oglala Lakota County, SD (46102) are the 2015 renamings of Wade Hampton (02270) and
# Shannon County (46113), which is how the registry's jurisdiction list still codes them (Census Bureau,
# "Substantial Changes to Counties and County Equivalent Entities: 1970-Present"). The District of
# Columbia is a county in the atlas and a state-level district (FIPS 11) in the registry.
ATLAS_TO_REGISTRY_FIPS = {"02158": "02270", "46102": "46113", "11001": "11"}


def registry_fips(atlas_id: str) -> str:
    return ATLAS_TO_REGISTRY_FIPS.get(atlas_id, atlas_id)


@dataclass(frozen=True, slots=True)
class RenderedMap:
    svg: Markup
    counts: tuple[int, ...]  # counties per band
    drawn: int


def render_map(
    atlas: Atlas,
    rows: Sequence[CountyRow],
    layer: Layer,
    href: Callable[[str], str],
    translate: Callable[[str], str] = str,
) -> RenderedMap:
    """The county map as inline SVG: one link per county to its page, hover text in <title> (in the
    language of `translate`)."""
    by_fips = {str(row["fips"]): row for row in rows if row.get("fips")}
    counts = [0] * len(layer.bands)
    parts = [
        f'<svg class="map" viewBox="0 0 {atlas.width} {atlas.height}" '
        'role="group" aria-labelledby="map-title" aria-describedby="map-description">'
        f'<path class="nation" d="{atlas.nation}"/><g class="counties">'
    ]
    for shape in atlas.counties:
        fips = registry_fips(shape.id)
        row = by_fips.get(fips)
        band = layer.classify(row)
        counts[band] += 1
        title = escape(county_title(row, shape.name, translate))
        parts.append(
            f'<a href="{escape(href(fips))}"><path class="{layer.bands[band].css}" d="{shape.path}">'
            f"<title>{title}</title></path></a>"
        )
    parts.append(f'</g><path class="borders" d="{atlas.state_borders}"/>')
    # Names to read once zoomed in (the stylesheet shows county names only then); never hit by the pointer.
    parts.append('<g class="labels county-labels" aria-hidden="true">')
    for shape in atlas.counties:
        x, y = shape.label
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}">{escape(shape.name)}</text>')
    parts.append('</g><g class="labels state-labels" aria-hidden="true">')
    postal = {str(row["fips"])[:2]: row.get("state") for row in rows if row.get("fips") and row.get("state")}
    for shape in atlas.states:
        x, y = shape.label
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}">{escape(postal.get(shape.id) or shape.name)}</text>')
    parts.append("</g></svg>")
    return RenderedMap(Markup("".join(parts)), tuple(counts), len(atlas.counties))
