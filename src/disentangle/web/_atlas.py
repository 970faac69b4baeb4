"""The bundled US atlas: pre-projected TopoJSON (Albers USA, 975×610) decoded into SVG path data."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from disentangle.errors import InputError, SourceFormatError

COUNTIES_FILE = "us-atlas/counties-albers-10m.json"
STATES_FILE = "us-atlas/states-albers-10m.json"

# Coordinates are already screen pixels; a tenth of a pixel is finer than any screen shows the map.
_PRECISION = 10

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Shape:
    """One feature of the atlas: its id (FIPS), its name, and its outline as SVG path data."""

    id: str
    name: str
    path: str
    label: Point = (0.0, 0.0)  # where its name is written: the centroid of its largest ring


@dataclass(frozen=True, slots=True)
class Atlas:
    width: int
    height: int
    counties: tuple[Shape, ...]
    states: tuple[Shape, ...]
    state_borders: str  # every border between two states, drawn once
    nation: str  # the outline of the country


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """The topology's arcs as absolute coordinates: undo the delta encoding, then the quantization."""
    transform = topology.get("transform")
    if transform:
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    arcs: list[list[Point]] = []
    for arc in topology["arcs"]:
        if not transform:
            arcs.append([(float(x), float(y)) for x, y, *_ in arc])
            continue
        x = y = 0
        points: list[Point] = []
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(arcs: Sequence[Sequence[Point]], indexes: Iterable[int]) -> list[Point]:
    """A closed ring from arc indexes; a negative index ~i means arc i reversed. Shared ends kept once."""
    points: list[Point] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def path_data(rings: Iterable[Sequence[Point]], *, closed: bool = True) -> str:
    """SVG path data for rings (or lines): absolute start, then relative steps in tenths of a pixel."""
    parts: list[str] = []
    for ring in rings:
        grid: list[tuple[int, int]] = []
        for x, y in ring:
            point = (round(x * _PRECISION), round(y * _PRECISION))
            if not grid or point != grid[-1]:
                grid.append(point)
        if len(grid) < (3 if closed else 2):
            continue
        start = _numbers(grid[0])
        steps = _numbers(v for a, b in itertools.pairwise(grid) for v in (b[0] - a[0], b[1] - a[1]))
        parts.append(f"M{start}l{steps}{'z' if closed else ''}")
    return "".join(parts)


def _numbers(values: Iterable[int]) -> str:
    """Tenths of a pixel as compact SVG numbers: a space between two, none before a minus sign."""
    out: list[str] = []
    for tenths in values:
        text = f"{tenths / _PRECISION:g}"
        if out and not text.startswith("-"):
            out.append(" ")
        out.append(text)
    return "".join(out)


def geometry_rings(arcs: Sequence[Sequence[Point]], geometry: dict[str, Any]) -> list[list[Point]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry["arcs"]]
    elif kind == "MultiPolygon":
        polygons = geometry["arcs"]
    elif kind is None:
        return []
    else:
        raise SourceFormatError(f"unexpected geometry type {kind!r} in an area layer")
    return [ring_points(arcs, ring) for polygon in polygons for ring in polygon]


def object_shapes(topology: dict[str, Any], name: str, arcs: Sequence[Sequence[Point]]) -> list[Shape]:
    """Each geometry of a named object as a Shape (id, name, path)."""
    collection = topology["objects"][name]
    shapes = []
    for geometry in collection.get("geometries", [collection]):
        rings = geometry_rings(arcs, geometry)
        path = path_data(rings)
        if path:
            properties = geometry.get("properties") or {}
            name_ = str(properties.get("name", ""))
            shapes.append(Shape(str(geometry.get("id", "")), name_, path, label_point(rings)))
    return shapes


def label_point(rings: Sequence[Sequence[Point]]) -> Point:
    """The area centroid of the largest ring (shoelace formula): inside for all but odd shapes."""
    best: tuple[float, Point] = (-1.0, (0.0, 0.0))
    for ring in rings:
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in itertools.pairwise([*ring, ring[0]] if ring else []):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if area and abs(area) > best[0]:
            best = (abs(area), (cx / (3 * area), cy / (3 * area)))
    return best[1]


def mesh_path(topology: dict[str, Any], name: str, arcs: Sequence[Sequence[Point]]) -> str:
    """Every arc used by two geometries of the object (the borders between them), each drawn once."""
    users: dict[int, int] = {}
    collection = topology["objects"][name]
    for geometry in collection.get("geometries", []):
        seen: set[int] = set()
        polygons = [geometry["arcs"]] if geometry.get("type") == "Polygon" else geometry.get("arcs", [])
        for polygon in polygons:
            for ring in polygon:
                for index in ring:
                    seen.add(index if index >= 0 else ~index)
        for index in seen:
            users[index] = users.get(index, 0) + 1
    shared = sorted(index for index, count in users.items() if count > 1)
    return path_data((arcs[index] for index in shared), closed=False)


def read_topology(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputError("the bundled US atlas is missing", path)
    try:
        topology = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFormatError(f"not a readable TopoJSON file: {exc}", path) from exc
    if not isinstance(topology, dict) or topology.get("type") != "Topology" or "arcs" not in topology:
        raise SourceFormatError("not a TopoJSON Topology", path)
    return topology


@lru_cache(maxsize=4)
def load_atlas(data_dir: Path) -> Atlas:
    """Counties, states, state borders and the nation's outline, decoded once per data folder."""
    counties_topology = read_topology(data_dir / COUNTIES_FILE)
    states_topology = read_topology(data_dir / STATES_FILE)
    try:
        county_arcs = decode_arcs(counties_topology)
        state_arcs = decode_arcs(states_topology)
        counties = object_shapes(counties_topology, "counties", county_arcs)
        states = object_shapes(states_topology, "states", state_arcs)
        borders = mesh_path(states_topology, "states", state_arcs)
        nation = "".join(s.path for s in object_shapes(states_topology, "nation", state_arcs))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise SourceFormatError(f"malformed TopoJSON: {exc!r}", data_dir / "us-atlas") from exc
    return Atlas(975, 610, tuple(counties), tuple(states), borders, nation)
