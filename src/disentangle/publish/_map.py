"""The county map's layers: which band each county falls in on each layer, and its hover text."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CountyRow = Mapping[str, Any]

MODELS_287G = ("287g-jem", "287g-wso", "287g-tfm")


@dataclass(frozen=True, slots=True)
class Band:
    """One class of a layer: its legend label and the CSS class that colours it."""

    label: str
    css: str


@dataclass(frozen=True, slots=True)
class Layer:
    key: str
    title: str
    description: str
    bands: tuple[Band, ...]
    classify: Callable[[CountyRow | None], int]  # index into bands; None means no registry record
    scored: bool = False  # needs each county's scorecard counts (Workspace.scorecard_map) in its row


def agreement_kinds(row: CountyRow) -> list[str]:
    """The kinds of arrangement in force in a county: each 287(g) model on ICE's latest list, and detention
    contracts a dated record says are in force (never the facilities of ICE's 2017 list: it does not say)."""
    kinds = [model for model in MODELS_287G if row.get(model)]
    if row.get("detention"):
        kinds.append("detention")
    return kinds


def active_287g(row: CountyRow) -> int:
    return sum(int(row.get(model) or 0) for model in MODELS_287G)


def _entanglement(row: CountyRow | None) -> int:
    if row is None:
        return 0
    kinds = len(agreement_kinds(row))
    if kinds:
        return min(kinds, 3) + 2
    if row.get("dhs_designated"):
        return 1
    return 2 if row.get("secure_communities") else 0


def _count_287g(row: CountyRow | None) -> int:
    if row is None:
        return 0
    n = active_287g(row)
    return 0 if n == 0 else 1 if n == 1 else 2 if n <= 3 else 3 if n <= 9 else 4


def _detention(row: CountyRow | None) -> int:
    if row is None:
        return 0
    n = int(row.get("facilities_used") or 0)
    return min(n, 2)


def _found(row: CountyRow | None) -> int:
    if row is None:
        return 0
    if int(row.get("found_in_force") or 0):
        return 2
    return 1 if int(row.get("found_ended") or 0) else 0


def _secure_communities(row: CountyRow | None) -> int:
    activated = (row or {}).get("secure_communities")
    if not activated:
        return 0
    year = int(str(activated)[:4])
    return 1 if year <= 2009 else min(year - 2008, 5)


def _dhs(row: CountyRow | None) -> int:
    return 1 if row and row.get("dhs_designated") else 0


def _scorecard(row: CountyRow | None) -> int:
    card = (row or {}).get("scorecard")
    if not card or card["unknown"] == card["criteria"]:
        return 0
    failed = int(card["failed"])
    return 1 if failed == 0 else 2 if failed == 1 else 3 if failed <= 3 else 4


LAYERS: tuple[Layer, ...] = (
    Layer(
        "entanglement",
        "Kinds of arrangement with ICE in force",
        "Counts the kinds in force in the county by a dated source that says so: each 287(g) model (Jail "
        "Enforcement, Warrant Service Officer, Task Force) that an agency there holds on ICE's latest "
        "287(g) list, and detention contracts found in records and in force. ICE's detention facility "
        "list of 2017 says only that ICE used a facility between two dates, so it is not counted here "
        "(see the layer of its own). Counties without any are shown by whether DHS named them a "
        "“sanctuary jurisdiction” (May 2025) and whether Secure Communities was activated there "
        "(2008–2013).",
        (
            Band("Nothing on record", "c-none"),
            Band("No agreement in force; named by DHS as a “sanctuary jurisdiction”", "c-dhs"),
            Band("No agreement in force; Secure Communities only", "c-q0"),
            Band("1 kind of agreement in force", "c-q2"),
            Band("2 kinds in force", "c-q3"),
            Band("3 or 4 kinds in force", "c-q5"),
        ),
        _entanglement,
    ),
    Layer(
        "287g",
        "Active 287(g) agreements",
        "The number of 287(g) agreements on ICE's latest list held by agencies counted in the county "
        "(sheriff, police, constables, jails; a city across a county line and a regional body count in "
        "each of their counties), all three models together. State agencies' agreements cover the whole "
        "state and are on each state's page.",
        (
            Band("None", "c-q0"),
            Band("1", "c-q1"),
            Band("2–3", "c-q2"),
            Band("4–9", "c-q4"),
            Band("10 or more", "c-q5"),
        ),
        _count_287g,
    ),
    Layer(
        "detention",
        "Detention facilities ICE used (list of 2017)",
        "Facilities in the county that ICE's detention facility list, released under FOIA and captured "
        "2017-11-04, shows ICE used between 1980 and 2017 under an intergovernmental service agreement "
        "(IGSA) or a U.S. Marshals Service agreement (USMS IGA). The list gives each facility's first and "
        "last use; it does not say whether an agreement is in force today.",
        (Band("None on the list", "c-q0"), Band("1", "c-q3"), Band("2 or more", "c-q5")),
        _detention,
    ),
    Layer(
        "found",
        "Agreements found in records",
        "Agreements ICE does not list that this workspace found in documents an agency released (a "
        "Treasury Forfeiture Fund MOU, say), dated by the document, placed in the county of the agency "
        "that signed them: in force as far as the records go, or ended (terminated, void, expired).",
        (Band("None found", "c-q0"), Band("Found, all ended", "c-q2"), Band("Found, in force", "c-q5")),
        _found,
    ),
    Layer(
        "secure-communities",
        "Secure Communities activation",
        "When ICE switched on Secure Communities (fingerprint sharing at booking) in the county.",
        (
            Band("No record", "c-none"),
            Band("2008–2009", "c-q5"),
            Band("2010", "c-q4"),
            Band("2011", "c-q3"),
            Band("2012", "c-q2"),
            Band("2013", "c-q1"),
        ),
        _secure_communities,
    ),
    Layer(
        "dhs",
        "DHS “sanctuary jurisdiction” list",
        "Counties DHS named on its published list of “sanctuary jurisdictions”, directly or through "
        "their state.",
        (Band("Not named", "c-q0"), Band("Named, or in a named state", "c-dhs")),
        _dhs,
    ),
    Layer(
        "scorecard",
        "Policy scorecard: checklist criteria failed",
        "The Local Progress toolkit's eight checklist criteria answered for each county from what is on "
        "record here: agreements in force (a 287(g) agreement or a detention contract fails “no jail "
        "bed-space contracts and no 287(g)”) and the state laws every county of the state inherits. Local "
        "ordinances and policies are not on record for most counties: a county's own page scores the texts "
        "you give it.",
        (
            Band("No criterion answered on record", "c-none"),
            Band("Fails none (meets or partly meets some)", "c-q0"),
            Band("Fails 1", "c-q2"),
            Band("Fails 2–3", "c-q4"),
            Band("Fails 4 or more", "c-q5"),
        ),
        _scorecard,
        scored=True,
    ),
)

# The public records each layer draws on (ids of knowledge/datasets.yaml; "found" for agreements found
# in records in this workspace), so that the page dates the facts it colours.
LAYER_RECORDS: dict[str, tuple[str, ...]] = {
    "entanglement": ("ice-287g-participating", "found", "dhs-sanctuary-list", "secure-communities"),
    "287g": ("ice-287g-participating",),
    "detention": ("ice-facilities",),
    "found": ("found",),
    "secure-communities": ("secure-communities",),
    "dhs": ("dhs-sanctuary-list",),
    "scorecard": ("ice-287g-participating", "found"),
}

LAYER_BY_KEY = {layer.key: layer for layer in LAYERS}
DEFAULT_LAYER = LAYERS[0].key


# The hover text's phrases, each translated whole (the pages pass their language's gettext).
COUNTY_TITLE = {
    "no-record": "No record in the registry",
    "287g": "287(g) in force: %(counts)s",
    "287g-none": "287(g) in force: none",
    "as-of": " (ICE's list of %(date)s)",
    "detention": "Detention contracts in force (found in records): %(n)s",
    "facilities": "Facilities ICE used (list of 2017): %(n)s",
    "last-used": ", last used %(date)s",
    "secure-communities": "Secure Communities: since %(month)s",
    "secure-communities-none": "Secure Communities: no record",
    "found": "Found in records: %(found)s in force, %(ended)s ended",
    "dhs": "Named by DHS as a “sanctuary jurisdiction” (itself or its state)",
    "scorecard": (
        "Scorecard on record: meets %(met)s, fails %(failed)s, partly %(partial)s, unknown %(unknown)s"
        " of %(criteria)s"
    ),
}


def county_title(row: CountyRow | None, fallback: str, translate: Callable[[str], str] = str) -> str:
    """The hover text of a county: its name and facts, one per line, in the language of `translate`."""

    def say(key: str, **values: Any) -> str:
        return translate(COUNTY_TITLE[key]) % values if values else translate(COUNTY_TITLE[key])

    if row is None:
        return f"{fallback}\n{say('no-record')}"
    counts = ", ".join(f"{row.get(m) or 0} {m[-3:].upper()}" for m in MODELS_287G)
    lines = [
        f"{row['name']}, {row['state']}",
        (say("287g", counts=counts) if active_287g(row) else say("287g-none"))
        + (say("as-of", date=row["as_of"]) if row.get("as_of") else ""),
        say("detention", n=row.get("detention") or 0),
        say("facilities", n=row.get("facilities_used") or 0)
        + (say("last-used", date=row["facilities_last_used"]) if row.get("facilities_last_used") else ""),
        say("secure-communities", month=str(row["secure_communities"])[:7])
        if row.get("secure_communities")
        else say("secure-communities-none"),
    ]
    if row.get("found_in_force") or row.get("found_ended"):
        lines.append(say("found", found=row.get("found_in_force") or 0, ended=row.get("found_ended") or 0))
    if row.get("dhs_designated"):
        lines.append(say("dhs"))
    card = row.get("scorecard")
    if card:
        lines.append(
            say("scorecard", **{k: card[k] for k in ("met", "failed", "partial", "unknown", "criteria")})
        )
    return "\n".join(lines)


def classify_rows(rows: Sequence[CountyRow], layers: Sequence[Layer] = LAYERS) -> list[dict[str, Any]]:
    """The county rows with the band each layer puts them in (what /api/map returns)."""
    out = []
    for row in rows:
        bands = {layer.key: layer.bands[layer.classify(row)].label for layer in layers}
        out.append({**row, "kinds_in_force": agreement_kinds(row), "bands": bands})
    return out
