"""The map's parts without a server: TopoJSON decoding, county bands, the chart, the memo."""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from disentangle.errors import InputError, SourceFormatError
from disentangle.publish import LAYER_BY_KEY, LAYERS, county_title
from disentangle.web._atlas import (
    decode_arcs,
    load_atlas,
    mesh_path,
    object_shapes,
    path_data,
    read_topology,
    ring_points,
)
from disentangle.web._cache import Memo, Page
from disentangle.web._chart import nice_ceiling, render_chart
from disentangle.web._map import registry_fips, render_map
from disentangle.workspace import bundled_data_dir

# Two unit squares side by side sharing the border x=11 (arc 1), quantized with scale 0.5, shifted by 10.
# The left square is arc 0 then arc 1 backwards (~1 == -2); the right one is arc 1 then arc 2 backwards.
SQUARES: dict[str, Any] = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.5], "translate": [10, 10]},
    "arcs": [
        [[2, 0], [-2, 0], [0, 2], [2, 0]],  # (11,10) (10,10) (10,11) (11,11)
        [[2, 0], [0, 2]],  # (11,10) (11,11): the shared border
        [[2, 0], [2, 0], [0, 2], [-2, 0]],  # (11,10) (12,10) (12,11) (11,11)
    ],
    "objects": {
        "squares": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "id": "01", "properties": {"name": "Left"}, "arcs": [[0, -2]]},
                {"type": "MultiPolygon", "id": "02", "properties": {"name": "Right"}, "arcs": [[[1, -3]]]},
            ],
        }
    },
}


def test_arcs_are_delta_decoded_then_transformed() -> None:
    arcs = decode_arcs(SQUARES)
    assert arcs[0] == [(11.0, 10.0), (10.0, 10.0), (10.0, 11.0), (11.0, 11.0)]
    assert arcs[1] == [(11.0, 10.0), (11.0, 11.0)]
    untransformed = decode_arcs({"arcs": [[[3, 4], [5, 6]]]})
    assert untransformed == [[(3.0, 4.0), (5.0, 6.0)]], "without a transform, positions are absolute"


def test_rings_follow_arcs_reversing_negative_indexes_and_sharing_joints() -> None:
    arcs = decode_arcs(SQUARES)
    assert ring_points(arcs, [0, ~1]) == [(11, 10), (10, 10), (10, 11), (11, 11), (11, 10)]
    assert ring_points(arcs, [1, ~2]) == [(11, 10), (11, 11), (12, 11), (12, 10), (11, 10)]


def test_path_data_is_absolute_start_then_relative_steps() -> None:
    assert path_data([[(10, 10), (12, 10), (12, 11.5), (10, 10)]]) == "M10 10l2 0 0 1.5-2-1.5z"
    # Points closer than a tenth of a pixel collapse; a ring with fewer than three points is dropped.
    assert path_data([[(1, 1), (1.01, 1.01), (1.02, 1)]]) == ""
    assert path_data([[(0, 0), (3, 4)]], closed=False) == "M0 0l3 4"


def test_shapes_and_the_mesh_of_shared_borders() -> None:
    arcs = decode_arcs(SQUARES)
    shapes = object_shapes(SQUARES, "squares", arcs)
    assert [(s.id, s.name) for s in shapes] == [("01", "Left"), ("02", "Right")]
    assert all(s.path.startswith("M") and s.path.endswith("z") for s in shapes)
    assert mesh_path(SQUARES, "squares", arcs) == "M11 10l0 1", "only the border both squares use"


def test_the_bundled_atlas_decodes_into_counties_states_and_borders() -> None:
    atlas = load_atlas(bundled_data_dir())
    assert (atlas.width, atlas.height) == (975, 610)
    ids = [c.id for c in atlas.counties]
    assert len(ids) > 3000 and len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"\d{5}", i) for i in ids)
    assert len(atlas.states) >= 50
    assert {"Texas", "California", "Alaska", "Hawaii"} <= {s.name for s in atlas.states}
    for shape in atlas.counties:
        numbers = [float(n) for n in re.findall(r"-?\d*\.?\d+", shape.path.split("l", 1)[0][1:])]
        x, y = numbers[:2]
        # Albers USA insets put the far Aleutians a little left of the frame (the atlas's bbox: x ≥ -58).
        assert -60 <= x <= atlas.width and 0 <= y <= atlas.height, shape.id
    assert atlas.state_borders.startswith("M") and not atlas.state_borders.endswith("z")


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (None, InputError),
        ("not json", SourceFormatError),
        (json.dumps({"type": "FeatureCollection"}), SourceFormatError),
        (json.dumps([1, 2]), SourceFormatError),
    ],
)
def test_a_broken_atlas_file_is_named_in_the_error(tmp_path: Path, content: str | None, error: type) -> None:
    path = tmp_path / "counties.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(error) as raised:
        read_topology(path)
    assert str(path) in str(raised.value)


def county(**facts: Any) -> dict[str, Any]:
    row = {
        "fips": "99001",
        "id": "ocd-division/country:us/state:zz/county:test",
        "name": "Test County",
        "state": "ZZ",
        "287g-jem": 0,
        "287g-wso": 0,
        "287g-tfm": 0,
        "as_of": "2026-05-18",
        "detention": 0,
        "facilities_used": 0,
        "facilities_last_used": None,
        "found_in_force": 0,
        "found_ended": 0,
        "secure_communities": None,
        "dhs_designated": False,
    }
    row.update({k.replace("_287g_", "287g-"): v for k, v in facts.items()})
    return row


def card(met: int = 0, failed: int = 0, partial: int = 0, unknown: int = 0) -> dict[str, int]:
    return {"met": met, "failed": failed, "partial": partial, "unknown": unknown, "criteria": 8}


@pytest.mark.parametrize(
    ("layer", "row", "band"),
    [
        ("entanglement", None, "Nothing on record"),
        ("entanglement", county(), "Nothing on record"),
        (
            "entanglement",
            county(secure_communities="2011-04-01"),
            "No agreement in force; Secure Communities",
        ),
        (
            "entanglement",
            county(dhs_designated=True, secure_communities="2010-01-01"),
            "No agreement in force; named",
        ),
        # ICE's 2017 detention list says a facility was used, not that an agreement is in force
        ("entanglement", county(facilities_used=4, facilities_last_used="2017-11-04"), "Nothing on record"),
        ("entanglement", county(_287g_tfm=8), "1 kind of agreement"),
        ("entanglement", county(_287g_tfm=8, dhs_designated=True), "1 kind of agreement"),
        ("entanglement", county(_287g_jem=1, detention=2), "2 kinds"),
        ("entanglement", county(_287g_jem=1, _287g_wso=1, _287g_tfm=1, detention=1), "3 or 4 kinds"),
        ("287g", county(), "None"),
        ("287g", county(_287g_wso=1), "1"),
        ("287g", county(_287g_wso=1, _287g_tfm=2), "2–3"),
        ("287g", county(_287g_tfm=9), "4–9"),
        ("287g", county(_287g_jem=1, _287g_wso=2, _287g_tfm=8), "10 or more"),
        ("287g", county(detention=5), "None"),
        ("detention", county(facilities_used=1), "1"),
        ("detention", county(facilities_used=7), "2 or more"),
        ("detention", county(_287g_jem=3), "None"),
        ("detention", county(detention=1), "None on the list"),
        ("secure-communities", county(secure_communities="2008-10-27"), "2008–2009"),
        ("secure-communities", county(secure_communities="2012-06-01"), "2012"),
        ("secure-communities", county(), "No record"),
        ("dhs", county(dhs_designated=True), "Named, or in a named state"),
        ("dhs", county(), "Not named"),
        ("scorecard", county(), "No criterion answered"),
        ("scorecard", county(scorecard=card(unknown=8)), "No criterion answered"),
        ("scorecard", county(scorecard=card(met=2, partial=1, unknown=5)), "Fails none"),
        ("scorecard", county(scorecard=card(partial=1, unknown=7)), "Fails none"),
        ("scorecard", county(scorecard=card(met=3, failed=1, partial=4)), "Fails 1"),
        ("scorecard", county(scorecard=card(failed=3, unknown=5)), "Fails 2–3"),
        ("scorecard", county(scorecard=card(failed=5, unknown=3)), "Fails 4 or more"),
    ],
)
def test_each_layer_puts_a_county_in_the_right_band(layer: str, row: dict | None, band: str) -> None:
    chosen = LAYER_BY_KEY[layer]
    assert chosen.bands[chosen.classify(row)].label.startswith(band)


def test_every_band_of_every_layer_has_a_colour_in_the_stylesheet() -> None:
    css = (Path(__file__).resolve().parents[1] / "src/disentangle/web/static/style.css").read_text()
    for layer in LAYERS:
        assert len({b.css for b in layer.bands}) == len(layer.bands), layer.key
        for band in layer.bands:
            assert re.search(rf"\.{band.css} \{{ fill: var\(--", css), band.css


def test_county_title_tells_the_facts() -> None:
    title = county_title(
        county(_287g_jem=1, _287g_tfm=8, secure_communities="2009-09-01", dhs_designated=True), "x"
    )
    assert title.splitlines() == [
        "Test County, ZZ",
        "287(g) in force: 1 JEM, 0 WSO, 8 TFM (ICE's list of 2026-05-18)",
        "Detention contracts in force (found in records): 0",
        "Facilities ICE used (list of 2017): 0",
        "Secure Communities: since 2009-09",
        "Named by DHS as a “sanctuary jurisdiction” (itself or its state)",
    ]
    assert county_title(None, "Kusilvak").splitlines() == ["Kusilvak", "No record in the registry"]


def test_renamed_counties_are_found_under_the_registrys_codes() -> None:
    assert registry_fips("02158") == "02270"  # Kusilvak Census Area, formerly Wade Hampton
    assert registry_fips("46102") == "46113"  # Oglala Lakota County, formerly Shannon
    assert registry_fips("48167") == "48167"


def test_render_map_links_each_county_and_escapes_its_name() -> None:
    atlas = load_atlas(bundled_data_dir())
    first = atlas.counties[0]
    rows = [county(fips=first.id, name="<b>Bold</b> County", _287g_tfm=1)]
    rendered = render_map(atlas, rows, LAYER_BY_KEY["entanglement"], lambda fips: f"/place/{fips}?a=1&b=2")
    svg = str(rendered.svg)
    assert svg.count("<a href=") == len(atlas.counties) == rendered.drawn == sum(rendered.counts)
    assert "&lt;b&gt;Bold&lt;/b&gt; County" in svg and "<b>Bold" not in svg
    assert f'href="/place/{first.id}?a=1&amp;b=2"' in svg
    one_kind = [b.label for b in LAYER_BY_KEY["entanglement"].bands].index("1 kind of agreement in force")
    assert rendered.counts[one_kind] == 1
    assert rendered.counts[0] == len(atlas.counties) - 1, "every other county has no record here"


@pytest.mark.parametrize(
    ("value", "top", "step"),
    [(0, 10, 2), (7, 8, 2), (150, 150, 50), (1843, 2000, 500), (2001, 2500, 500), (99, 100, 20)],
)
def test_chart_axis_is_rounded(value: float, top: int, step: int) -> None:
    assert nice_ceiling(value) == (top, step)


def test_chart_stacks_the_three_models_with_a_title_per_sheet() -> None:
    rows = [
        {"captured": "2024-01-01", "total": 150, "287g-jem": 70, "287g-wso": 80},
        {"captured": "2025-06-01", "total": 900, "287g-jem": 150, "287g-wso": 300, "287g-tfm": 450},
        {"captured": "2026-05-18", "total": 1843, "287g-jem": 182, "287g-wso": 499, "287g-tfm": 1162},
    ]
    svg = str(render_chart(rows))
    assert re.findall(r'<polygon class="(s-[a-z]+)"', svg) == ["s-jem", "s-wso", "s-tfm"]
    titles = re.findall(r"<title>([^<]+)</title>", svg)
    assert titles[-1] == "List of 2026-05-18: 1,843 agreements (JEM 182, WSO 499, TFM 1,162)"
    assert len(titles) == len(rows)
    assert ">2025<" in svg and ">2026<" in svg and ">2,000<" in svg
    assert "No published ICE list" in str(render_chart([]))


def test_memo_builds_once_for_many_callers_and_forgets_after_its_age() -> None:
    memo = Memo(seconds=0.2)
    calls: list[int] = []

    def build() -> int:
        calls.append(1)
        time.sleep(0.05)
        return len(calls)

    threads = [threading.Thread(target=lambda: memo.get("k", build)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert memo.get("k", build) == 1
    time.sleep(0.25)
    assert memo.get("k", build) == 1, "a stale value is served while its replacement is built"
    deadline = time.monotonic() + 5
    while memo.get("k", build) != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert memo.get("k", build) == 2 and len(calls) == 2, "rebuilt once, in the background"
    assert Memo(seconds=0).get("k", build) == 3, "an age of 0 turns the memo off"


def test_a_failed_background_rebuild_keeps_the_stale_value() -> None:
    memo = Memo(seconds=0.05)
    memo.get("k", lambda: "old")
    time.sleep(0.1)

    def broken() -> str:
        raise RuntimeError("database gone")

    assert memo.get("k", broken) == "old"
    time.sleep(0.1)
    assert memo.get("k", lambda: "new") == "old", "still the old value; this call starts a rebuild"
    deadline = time.monotonic() + 5
    while memo.get("k", lambda: "new") != "new" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert memo.get("k", lambda: "new") == "new"


def test_memo_keeps_at_most_its_size() -> None:
    memo = Memo(seconds=60, size=2)
    for key in "abc":
        memo.get(key, lambda key=key: key)
    assert memo.get("a", lambda: "rebuilt") == "rebuilt"
    assert memo.get("c", lambda: "rebuilt") == "c"


def test_page_keeps_gzip_and_a_stable_etag() -> None:
    page = Page.of("<p>é</p>")
    assert gzip.decompress(page.gzipped) == "<p>é</p>".encode()
    assert page.etag == Page.of("<p>é</p>").etag != Page.of("<p>e</p>").etag
