"""Find places by name and link each law-enforcement agency to its jurisdiction and FBI ORI code."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import fuzz, process

from disentangle.knowledge import load_yaml
from disentangle.model import STATES, Jurisdiction, Level, normalize_state
from disentangle.sources.agencies import (
    FEDERAL,
    AgencyType,
    IcpsrRow,
    RosterAgency,
    agency_naming,
    agency_type,
    classify_agency,
    ori_state,
)

# Spellings folded to one token before names are compared ("St." and "Saint", "Twp" and "Township").
_TOKEN_SYNONYMS = {
    "st": "saint",
    "ste": "sainte",
    "ft": "fort",
    "mt": "mount",
    "twp": "township",
    "twsp": "township",
    "tp": "township",
    "boro": "borough",
    "cnty": "county",
    "counry": "county",
    "conty": "county",
    "couny": "county",
}

# The kind word Census appends to a name ("Adak city", "Acadia Parish", "Beverly township"), longest
# first. Two kinds are compatible when equal or both county-level words.
_KIND_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("city", "and", "borough"),
    ("census", "area"),
    ("unified", "government"),
    ("consolidated", "government"),
    ("metropolitan", "government"),
    ("metro", "government"),
    ("urban", "county"),
    ("charter", "township"),
    ("county",),
    ("parish",),
    ("borough",),
    ("municipality",),
    ("municipio",),
    ("city",),
    ("town",),
    ("township",),
    ("village",),
    ("plantation",),
    ("corporation",),
)
_KIND_PREFIXES = ("city", "town", "township", "village", "borough", "county", "municipality", "parish")
_COUNTYISH = frozenset(
    {"county", "parish", "borough", "census area", "municipality", "city and borough", "municipio"}
)
_GOVERNMENT_KINDS = frozenset(
    {"unified government", "consolidated government", "metropolitan government", "metro government"}
)
_OCD_KIND_LEVEL = {
    "county": Level.COUNTY,
    "parish": Level.COUNTY,
    "borough": Level.COUNTY,
    "census_area": Level.COUNTY,
    "place": Level.PLACE,
}

# The rapidfuzz ratio (0-100) a misspelt name must reach: lower for counties, of which a state has
# few ("Berrian" for Berrien), than for its hundreds of places and townships.
FUZZY_THRESHOLD = 88
FUZZY_THRESHOLD_COUNTY = 85
_FUZZY_MARGIN = 4  # ... and by how much it must beat the next different name
_FUZZY_MIN_LENGTH = 6  # shorter names must match exactly: "Olla" and "Ola" are different towns


def fold_tokens(text: str) -> list[str]:
    """Lower-case ASCII words of a name, punctuation dropped and common abbreviations spelt out."""
    return list(_folded(text))


@lru_cache(maxsize=1 << 16)
def _folded(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("&", " and ")
    text = re.sub(r"['`]", "", text)  # O'Fallon -> ofallon
    text = re.sub(r"\([^)]*\)", " ", text)  # "(balance)", "(Addendum)"
    tokens = re.sub(r"[^a-z0-9]+", " ", text).split()
    return tuple(_TOKEN_SYNONYMS.get(token, token) for token in tokens)


def split_kind(tokens: Sequence[str]) -> tuple[list[str], str | None]:
    """("Butler", "township") -> (["butler"], "township"); "City of Kodiak" -> (["kodiak"], "city")."""
    words = list(tokens)
    if len(words) > 2 and words[0] in _KIND_PREFIXES and words[1] == "of":
        return words[2:], words[0]
    for suffix in _KIND_SUFFIXES:
        if len(words) > len(suffix) and tuple(words[-len(suffix) :]) == suffix:
            return words[: -len(suffix)], " ".join(suffix)
    return words, None


def _key(tokens: Iterable[str]) -> str:
    # Spaces dropped, so "La Salle" meets "LaSalle" and "Mc Kean" meets "McKean".
    return "".join(tokens)


def _kinds_agree(asked: str | None, found: str | None, level: Level) -> bool:
    if asked is None or found is None or asked == found:
        return True
    return level is Level.COUNTY and asked in _COUNTYISH and found in _COUNTYISH


_AMBIGUOUS = object()  # several jurisdictions answer to the name: better no link than a wrong one


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """A jurisdiction found by name, with how it was found and how sure the match is (0-100)."""

    jurisdiction: Jurisdiction
    score: float
    method: str  # "exact", "fuzzy 93", "independent city named as county", "state"


@dataclass(frozen=True, slots=True)
class _Entry:
    jurisdiction: Jurisdiction
    kind: str | None


class Gazetteer:
    """Jurisdictions indexed by OCD id, FIPS code and folded name within each state and level."""

    def __init__(self, jurisdictions: Iterable[Jurisdiction], aliases: dict[str, str] | None = None) -> None:
        self._by_id: dict[str, Jurisdiction] = {}
        self._by_fips: dict[str, Jurisdiction] = {}
        self._counties: dict[str, list[Jurisdiction]] = defaultdict(list)
        self._states: dict[str, Jurisdiction] = {}
        self._names: dict[tuple[str, Level], dict[str, list[_Entry]]] = defaultdict(lambda: defaultdict(list))
        self._aliases = dict(aliases or {})
        for jurisdiction in jurisdictions:
            self._add(jurisdiction)
        for alias, canonical in self._aliases.items():
            self._add_alias(alias, canonical)
        self._choices = {scope: list(names) for scope, names in self._names.items()}

    def _add(self, jurisdiction: Jurisdiction) -> None:
        self._by_id[jurisdiction.id] = jurisdiction
        if jurisdiction.fips:
            self._by_fips.setdefault(jurisdiction.fips, jurisdiction)
        if jurisdiction.state is None:
            return
        if jurisdiction.level is Level.STATE:
            self._states[jurisdiction.state] = jurisdiction
            return
        if jurisdiction.level is Level.COUNTY:
            self._counties[jurisdiction.state].append(jurisdiction)
        core, kind = split_kind(fold_tokens(jurisdiction.name))
        levels = [jurisdiction.level]
        if jurisdiction.level is Level.COUNTY and kind == "city":
            levels.append(Level.PLACE)  # an independent city is also a city
        keys = {_key(core)}
        if kind in _GOVERNMENT_KINDS or kind == "urban county":
            # "Cusseta-Chattahoochee County unified government": also "Cusseta-Chattahoochee".
            inner, inner_kind = split_kind(core)
            keys.add(_key(inner))
            kind = inner_kind if inner_kind == "county" else None
        slug = jurisdiction.id.rsplit(":", 1)[-1]
        keys.add(_key(fold_tokens(slug.replace("_", " ").replace("~", " "))))
        for level in levels:
            for key in keys - {""}:
                self._names[(jurisdiction.state, level)][key].append(_Entry(jurisdiction, kind))

    def _add_alias(self, alias: str, canonical: str) -> None:
        """OCD's aliases name consolidated city-counties (place:denver is county:denver) and the like."""
        target = self._by_id.get(canonical)
        kind_slug = alias.rsplit("/", 1)[-1].split(":")
        level = _OCD_KIND_LEVEL.get(kind_slug[0])
        if target is None or target.state is None or level is None or len(kind_slug) != 2:
            return
        if level is Level.COUNTY and target.level is not Level.COUNTY:
            return  # e.g. "Bedford city" was a county equivalent until 2013; now it is a town
        key = _key(fold_tokens(kind_slug[1].replace("_", " ")))
        entries = self._names[(target.state, level)][key]
        if all(entry.jurisdiction.id != target.id for entry in entries):
            entries.append(_Entry(target, None))

    def __len__(self) -> int:
        return len(self._by_id)

    def by_id(self, ocd_id: str) -> Jurisdiction | None:
        """The jurisdiction with this OCD id, following OCD's aliases to the canonical id."""
        found = self._by_id.get(ocd_id)
        if found is None and ocd_id in self._aliases:
            found = self._by_id.get(self._aliases[ocd_id])
        return found

    def by_fips(self, fips: str) -> Jurisdiction | None:
        """The jurisdiction with this FIPS code (2, 5, 7 or 10 digits; leading zeros may be missing)."""
        digits = str(fips).strip()
        found = self._by_fips.get(digits)
        if found is None and digits.isdigit():
            for width in (2, 5, 7, 10):
                if len(digits) < width:
                    found = self._by_fips.get(digits.zfill(width))
                    if found is not None:
                        break
        return found

    def counties_in(self, state: str) -> list[Jurisdiction]:
        """Every county-level jurisdiction of a state (USPS code or name), in file order."""
        postal = normalize_state(state)
        return list(self._counties.get(postal, [])) if postal else []

    def state(self, state: str) -> Jurisdiction | None:
        """The state, D.C. or territory named by a USPS code, FIPS code or name."""
        postal = normalize_state(state)
        return self._states.get(postal) if postal else None

    def parent(self, jurisdiction: Jurisdiction) -> Jurisdiction | None:
        return self._by_id.get(jurisdiction.parent_id) if jurisdiction.parent_id else None

    def find(
        self,
        state: str,
        name: str,
        level: Level | Sequence[Level] | None = None,
        within: str | None = None,
    ) -> Jurisdiction | None:
        """The one jurisdiction of `state` called `name`, or None when there is none or several.

        `level` (one or several) narrows the search; the name's own kind word ("X County", "X
        Township") routes it further. `within` is a county id that a county subdivision must sit in.
        Exact names first ("St."/"Saint", "Parish"/"County", "City of X" and punctuation folded),
        then a misspelling close enough to one name only.
        """
        found = self.match(state, name, level, within)
        return found.jurisdiction if found else None

    def match(
        self,
        state: str,
        name: str,
        level: Level | Sequence[Level] | None = None,
        within: str | None = None,
    ) -> PlaceMatch | None:
        """Like find(), with how the jurisdiction was found and a score."""
        postal = normalize_state(state)
        tokens = fold_tokens(name)
        if postal is None or not tokens:
            return None
        core, kind = split_kind(tokens)
        groups = self._levels_for(kind)
        if level is not None:
            allowed = {level} if isinstance(level, Level) else set(level)
            groups = [[each for each in group if each in allowed] for group in groups]
        for group in groups:
            found: dict[str, PlaceMatch] = {}
            for each in group:
                outcome = self._match_level(postal, tokens, core, kind, each, within)
                if outcome is _AMBIGUOUS:
                    return None
                if isinstance(outcome, PlaceMatch):
                    found.setdefault(outcome.jurisdiction.id, outcome)
            best = max((m.score for m in found.values()), default=0.0)
            found = {key: m for key, m in found.items() if m.score == best}
            if len(found) > 1:
                return None
            if found:
                return next(iter(found.values()))
        return None

    def candidates(
        self,
        state: str,
        name: str,
        level: Level | Sequence[Level] | None = None,
        within: str | None = None,
    ) -> list[Jurisdiction]:
        """Every jurisdiction whose name is exactly `name` (folded) at the levels asked: what find()
        had to choose from when it found several."""
        postal = normalize_state(state)
        tokens = fold_tokens(name)
        if postal is None or not tokens:
            return []
        core, kind = split_kind(tokens)
        allowed = None if level is None else ({level} if isinstance(level, Level) else set(level))
        found: dict[str, Jurisdiction] = {}
        for group in self._levels_for(kind):
            for each in group:
                if allowed is not None and each not in allowed:
                    continue
                names = self._names.get((postal, each), {})
                for key, asked in ((_key(tokens), None), (_key(core), kind)):
                    for entry in names.get(key, []):
                        if _kinds_agree(asked, entry.kind, each) and (
                            within is None or self._inside(entry.jurisdiction, within)
                        ):
                            found.setdefault(entry.jurisdiction.id, entry.jurisdiction)
        return list(found.values())

    @staticmethod
    def _levels_for(kind: str | None) -> list[list[Level]]:
        if kind == "borough":  # an Alaska borough is a county; a Pennsylvania borough is a place
            return [[Level.COUNTY, Level.PLACE]]
        if kind in _COUNTYISH:
            return [[Level.COUNTY]]
        if kind == "township":
            return [[Level.SUBDIVISION], [Level.PLACE]]
        if kind is not None:
            return [[Level.PLACE], [Level.SUBDIVISION], [Level.COUNTY]]
        # A bare name is a county or an incorporated place before a township of the same name: a
        # township's police call themselves "X Township Police Department".
        return [[Level.COUNTY, Level.PLACE], [Level.SUBDIVISION], [Level.STATE]]

    def _match_level(
        self,
        state: str,
        tokens: list[str],
        core: list[str],
        kind: str | None,
        level: Level,
        within: str | None,
    ) -> PlaceMatch | object | None:
        """A match, None, or _AMBIGUOUS when the name fits several jurisdictions at this level."""
        if level is Level.STATE:
            found = self._states.get(state)
            if found is None:
                return None
            words = [t for t in tokens if t not in {"state", "commonwealth", "territory", "of", "the"}]
            return PlaceMatch(found, 100.0, "state") if normalize_state(" ".join(words)) == state else None
        names = self._names.get((state, level))
        if not names:
            return None
        # The whole name first: "Dickson City" is a borough's name, not the city of Dickson.
        whole = self._pick(names.get(_key(tokens), []), None, level, within)
        if isinstance(whole, Jurisdiction):
            return PlaceMatch(whole, 100.0, "exact")
        if core and core != tokens:
            entries = names.get(_key(core), [])
            picked = self._pick(entries, kind, level, within)
            if isinstance(picked, Jurisdiction):
                return PlaceMatch(picked, 100.0, "exact")
            exception = self._independent_city_as_county(entries, kind, level)
            if exception:
                return PlaceMatch(exception, 90.0, "independent city named as county")
            if picked is _AMBIGUOUS:
                return _AMBIGUOUS
        elif whole is _AMBIGUOUS:
            return _AMBIGUOUS
        return self._fuzzy(state, level, _key(core or tokens), kind, within)

    def _pick(
        self, entries: list[_Entry], kind: str | None, level: Level, within: str | None
    ) -> Jurisdiction | object | None:
        """The one entry that fits kind and county; _AMBIGUOUS if several do; None if none does."""
        fits = [e for e in entries if _kinds_agree(kind, e.kind, level)]
        if within is not None:
            fits = [e for e in fits if self._inside(e.jurisdiction, within)]
        distinct = {e.jurisdiction.id: e.jurisdiction for e in fits}
        if len(distinct) > 1:
            return _AMBIGUOUS
        return next(iter(distinct.values())) if distinct else None

    @staticmethod
    def _inside(jurisdiction: Jurisdiction, county_id: str) -> bool:
        # Only a subdivision knows its county: OCD does not say which county holds a place.
        return jurisdiction.level is not Level.SUBDIVISION or jurisdiction.parent_id == county_id

    @staticmethod
    def _independent_city_as_county(
        entries: list[_Entry], kind: str | None, level: Level
    ) -> Jurisdiction | None:
        """ICE writes "Hopewell County" for the independent city of Hopewell, Virginia: there is no
        county of that name, so the one county-level city of that name is meant."""
        if level is not Level.COUNTY or kind not in _COUNTYISH:
            return None
        if any(e.kind in _COUNTYISH for e in entries):
            return None
        cities = {e.jurisdiction.id: e.jurisdiction for e in entries if e.kind == "city"}
        return next(iter(cities.values())) if len(cities) == 1 else None

    def _fuzzy(
        self, state: str, level: Level, key: str, kind: str | None, within: str | None
    ) -> PlaceMatch | None:
        if len(key) < _FUZZY_MIN_LENGTH:
            return None
        names = self._names[(state, level)]
        choices = self._choices.get((state, level)) or list(names)
        if within is not None and level is Level.SUBDIVISION:
            choices = [c for c in choices if any(self._inside(e.jurisdiction, within) for e in names[c])]
        threshold = FUZZY_THRESHOLD_COUNTY if level is Level.COUNTY else FUZZY_THRESHOLD
        hits = process.extract(key, choices, scorer=fuzz.ratio, limit=4, score_cutoff=threshold - 10)
        ranked: list[tuple[float, Jurisdiction]] = []
        for choice, score, _ in hits:
            picked = self._pick(names[choice], kind, level, within)
            if picked is _AMBIGUOUS and score >= threshold:
                return None
            if isinstance(picked, Jurisdiction) and all(j.id != picked.id for _, j in ranked):
                ranked.append((score, picked))
        if not ranked or ranked[0][0] < threshold:
            return None
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < _FUZZY_MARGIN:
            return None
        score, picked = ranked[0]
        return PlaceMatch(picked, float(score), f"fuzzy {score:.0f}")


# --- agencies -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgencyLink:
    """What the linker made of one agency name: its type, jurisdiction and ORI, and how it got them."""

    agency_type: str  # an id of knowledge/agency_types.yaml
    jurisdiction_id: str | None
    ori: str | None
    rule: str  # how the jurisdiction was found ("sheriff→county by name"), or why it was not
    score: float  # 0-100: how sure the weaker of the two links is (100 when nothing was guessed)
    ori_rule: str = ""  # how the ORI was found ("icpsr ori", "fbi roster fuzzy 93"), or why not


@dataclass(frozen=True, slots=True)
class _Binding:
    jurisdiction: Jurisdiction
    rule: str
    score: float


@dataclass(frozen=True, slots=True)
class _RosterEntry:
    agency: RosterAgency
    type_id: str
    named: bool  # the type comes from the name, not only from the FBI's agency_type_name
    jurisdiction_id: str | None
    county_id: str | None
    rule: str = ""  # how the jurisdiction was found, or why none was


@dataclass(frozen=True, slots=True)
class PlacedRosterAgency:
    """An FBI roster row placed in the tree of governments: its type, jurisdiction and county."""

    agency: RosterAgency
    type_id: str
    named: bool  # its name says what it is ("Pasadena Police Department"), not only the FBI's type
    jurisdiction_id: str | None
    county_id: str | None
    rule: str  # how the jurisdiction was found, or why none was


ROSTER_THRESHOLD = 90  # token-sort ratio an agency's name must reach against an FBI roster name

# Roster entries filed under the FBI's county field rather than under their name ("Accomack").
_BY_COUNTY_FIELD = frozenset({"sheriff", "county_police", "metropolitan_police"})
_ICPSR_DROP = frozenset({"department", "dept", "office", "division", "bureau", "of", "the"})
_NAME_DROP = frozenset(
    {"department", "departments", "dept", "office", "division", "of", "the", "and", "headquarters", "hq"}
)
_LOCAL_KINDS = frozenset(
    {"borough", "city", "town", "township", "village", "municipality", "charter township"}
)
_KIND_WORDS = frozenset(
    {"county", "parish", "borough", "city", "town", "township", "village", "municipality"}
)


class AgencyLinker:
    """Links an agency name from ICE's sheets to its jurisdiction and its FBI ORI code.

    The agency's type (knowledge/agency_types.yaml) says which level of government it belongs to; the
    place is read from its name, or from ICE's COUNTY column where the type allows. The ORI comes from
    the ICPSR join when its type and place agree, else from the FBI roster entry of the same type at
    the same jurisdiction, chosen by name when there are several. A wrong link is worse than none:
    every ambiguity leaves the field empty and the rule says why.
    """

    def __init__(
        self, gazetteer: Gazetteer, roster: Sequence[RosterAgency] = (), icpsr: Sequence[IcpsrRow] = ()
    ) -> None:
        self.gazetteer = gazetteer
        self._capitals = self._capital_counties()
        # The roster is placed one state at a time, when the state is first asked for.
        self._unplaced: dict[str, list[RosterAgency]] = defaultdict(list)
        for agency in roster:
            self._unplaced[agency.state].append(agency)
        self._roster_by_ori: dict[str, _RosterEntry] = {}
        self._roster_by_place: dict[str, list[_RosterEntry]] = defaultdict(list)
        self._roster_by_state: dict[str, list[_RosterEntry]] = {}
        self._icpsr: dict[tuple[str, str], list[IcpsrRow]] = defaultdict(list)
        for row in icpsr:
            self._icpsr[(row.state, _icpsr_key(row.agency))].append(row)

    def link(
        self, name: str, state: str, county: str | None = None, type_hint: str | None = None
    ) -> AgencyLink:
        """Link one agency, named as ICE names it, in `state` (USPS code or name).

        `county` and `type_hint` are ICE's COUNTY and TYPE columns when the sheet has them ("#N/A",
        "None" and blanks count as missing).
        """
        postal = normalize_state(state)
        kind = classify_agency(name, postal or "", _present(type_hint))
        if postal is None:
            return AgencyLink(kind.id, None, None, f"unknown state {state!r}", 0.0, "unknown state")
        county_match = self._county(postal, _present(county))
        binding, why = self._bind(name, postal, kind, county_match)
        ori, ori_rule, ori_score = self._ori(name, postal, kind, binding, county_match)
        score = min(binding.score if binding else 100.0, ori_score if ori else 100.0)
        return AgencyLink(
            agency_type=kind.id,
            jurisdiction_id=binding.jurisdiction.id if binding else None,
            ori=ori,
            rule=binding.rule if binding else why,
            score=round(score, 1),
            ori_rule=ori_rule,
        )

    # -- jurisdiction ------------------------------------------------------------------------------

    def _county(self, state: str, county: str | None) -> PlaceMatch | None:
        return self.gazetteer.match(state, county, Level.COUNTY) if county else None

    def _bind(
        self, name: str, state: str, kind: AgencyType, county: PlaceMatch | None
    ) -> tuple[_Binding | None, str]:
        if not kind.binds_to:
            return None, f"{kind.id}: belongs to no single jurisdiction"
        county_id = county.jurisdiction.id if county else None
        for step in kind.binds_to:
            if step == (Level.STATE,):
                found = self.gazetteer.state(state)
                if found:
                    return _Binding(found, f"{kind.id}→state", 100.0), ""
                continue
            for candidate in place_names(name, state):
                named_kind = split_kind(fold_tokens(candidate))[1]
                if kind.needs_kind_word and named_kind is None:
                    continue
                if (
                    not kind.prefers_place
                    and named_kind is None
                    and self._place_and_township(state, candidate, step, county_id)
                ):
                    return None, f"{kind.id}: {candidate!r} is both a place and a township"
                hit = self.gazetteer.match(state, candidate, step, county_id)
                if hit:
                    how = "by name" if hit.method == "exact" else f"by name, {hit.method}"
                    return _Binding(
                        hit.jurisdiction, f"{kind.id}→{hit.jurisdiction.level.value} {how}", hit.score
                    ), ""
        # ICE's county stands in only for a name that names no town or township: the constable of
        # an unknown "East Pennsylvania Township" is not Cumberland County's.
        local = any(
            split_kind(fold_tokens(candidate))[1] in _LOCAL_KINDS for candidate in place_names(name, state)
        )
        if kind.county_column and county is not None and not local:
            how = "" if county.method == "exact" else f", {county.method}"
            return _Binding(
                county.jurisdiction, f"{kind.id}→county by ICE's county column{how}", county.score
            ), ""
        for step in kind.binds_to:
            for candidate in place_names(name, state):
                several = self.gazetteer.candidates(state, candidate, step, county_id)
                if len(several) > 1:
                    return None, f"{kind.id}: {len(several)} places are called {candidate!r}"
        if local and kind.county_column and county is not None:
            return (
                None,
                f"{kind.id}: its town or township is not found, and ICE's county is not its government",
            )
        levels = " or ".join("|".join(level.value for level in step) for step in kind.binds_to)
        return None, f"{kind.id}: no {levels} found in the name"

    def _place_and_township(
        self, state: str, name: str, step: tuple[Level, ...], county_id: str | None
    ) -> bool:
        """Does a bare name fit both an incorporated place and a township (Honey Brook borough and
        Honey Brook township)? Only police and marshals may take the place: see agency_types.yaml."""
        if not {Level.PLACE, Level.SUBDIVISION} <= set(step):
            return False
        levels = {j.level for j in self.gazetteer.candidates(state, name, step, county_id)}
        return {Level.PLACE, Level.SUBDIVISION} <= levels

    # -- ORI ---------------------------------------------------------------------------------------

    def _ori(
        self, name: str, state: str, kind: AgencyType, binding: _Binding | None, county: PlaceMatch | None
    ) -> tuple[str | None, str, float]:
        jurisdiction_id = binding.jurisdiction.id if binding else None
        from_icpsr, icpsr_note = self._icpsr_ori(name, state, kind, jurisdiction_id)
        if from_icpsr:
            return from_icpsr, "icpsr ori", 100.0
        found, rule, score = self._roster_ori(name, state, kind, binding, county)
        if found:
            return found, rule, score
        return None, "; ".join(part for part in (icpsr_note, rule) if part), 0.0

    def _icpsr_ori(
        self, name: str, state: str, kind: AgencyType, jurisdiction_id: str | None
    ) -> tuple[str | None, str]:
        self._roster(state)
        rows = self._icpsr.get((state, _icpsr_key(name)), [])
        oris = {row.ori for row in rows if row.ori}
        if not oris:
            return None, ""
        if len(oris) > 1:
            return None, f"icpsr gives {len(oris)} ORIs"
        ori = oris.pop()
        types = {row.agency_type or "?" for row in rows if row.ori == ori}
        if not types & kind.icpsr_types:
            return None, f"icpsr ORI {ori} is a {'/'.join(sorted(types))} ORI, not a {kind.id}'s"
        if ori_state(ori) != state:
            return None, f"icpsr ORI {ori} is of another state"
        entry = self._roster_by_ori.get(ori)
        if entry is not None:
            if not _fits(entry, kind, loose=True):
                return None, f"icpsr ORI {ori} is {entry.agency.name!r}, a {entry.type_id} in the FBI roster"
            if jurisdiction_id and entry.jurisdiction_id and entry.jurisdiction_id != jurisdiction_id:
                return None, f"icpsr ORI {ori} is {entry.agency.name!r}, elsewhere in the FBI roster"
        return ori, ""

    def _roster_ori(
        self, name: str, state: str, kind: AgencyType, binding: _Binding | None, county: PlaceMatch | None
    ) -> tuple[str | None, str, float]:
        if not kind.roster_types:
            return None, f"the FBI roster is not searched for a {kind.id}", 0.0
        place = binding.jurisdiction if binding else None
        self._roster(state)
        if place is not None and place.level is Level.STATE:
            # Any state-level roster entry may be this agency under another type ("Department of Public
            # Safety" is the Texas Highway Patrol's parent): the names decide.
            pool = self._roster_by_place.get(place.id, [])
            return self._by_name(name, state, kind, pool, county)
        if place is not None:
            here = self._roster_by_place.get(place.id, [])
            pool = [e for e in here if _fits(e, kind)] or [e for e in here if e.type_id in kind.stands_in_for]
            if len(pool) == 1 and kind.one_per_place:
                return pool[0].agency.ori, f"fbi roster: the {kind.id} at the same {place.level.value}", 100.0
            if pool:
                return self._by_name(name, state, kind, pool, county)
        # The roster entry could not be placed itself: compare names among the unplaced entries of
        # this type in the state, within the county when one is known.
        county_id = _county_of(place) or (county.jurisdiction.id if county else None)
        pool = [
            e
            for e in self._roster(state)
            if _fits(e, kind)
            and (place is None or e.jurisdiction_id is None)
            and (county_id is None or e.county_id == county_id)
        ]
        if not pool:
            return None, "no FBI roster entry of this type there", 0.0
        return self._by_name(name, state, kind, pool, county)

    def _by_name(
        self, name: str, state: str, kind: AgencyType, pool: list[_RosterEntry], county: PlaceMatch | None
    ) -> tuple[str | None, str, float]:
        drop = kind.compare_without
        asked = name_keys(name, state, drop)
        if not asked or not pool:
            return None, "no FBI roster name to compare", 0.0
        keys = [name_keys(entry.agency.name, state, drop) or ("",) for entry in pool]
        # Whole names first. A part of ICE's name ("..., Division of Highway Patrol") may then meet a
        # whole roster name, never the other way: the roster's parts are sub-units ("Department of
        # Corrections, Office of the Inspector General") that are not the agency.
        wholes = [k[:1] for k in keys]
        ranked, part = _rank(asked[:1], wholes), ""
        if (not ranked or ranked[0][1] < ROSTER_THRESHOLD) and len(asked) > 1:
            ranked, part = _rank(asked[1:], wholes), " (a part of ICE's name)"
        if not ranked or ranked[0][1] < ROSTER_THRESHOLD:
            return None, "no FBI roster name close enough", 0.0
        best = ranked[0][1]
        tied = [index for index, score in ranked if score == best]
        keys = wholes
        if len({keys[index][0] for index in tied}) > 1:
            return None, f"several FBI roster names fit equally ({best:.0f})", 0.0
        others = [score for index, score in ranked if keys[index][0] != keys[tied[0]][0]]
        if others and best - others[0] < _FUZZY_MARGIN:
            return None, f"FBI roster names too close to tell apart ({best:.0f})", 0.0
        how = ("fbi roster by name" if best == 100 else f"fbi roster fuzzy {best:.0f}") + part
        if len(tied) == 1:
            return pool[tied[0]].agency.ori, how, float(best)
        return self._one_unit([pool[index] for index in tied], county, how, float(best))

    def _one_unit(
        self, units: list[_RosterEntry], county: PlaceMatch | None, how: str, score: float
    ) -> tuple[str | None, str, float]:
        """Several roster units share the name (a state agency files one per district): take the one in
        ICE's county, else the one in the capital's county, else none."""
        named = f"{len(units)} units named {units[0].agency.name!r}"
        if county is not None:
            inside = [u for u in units if u.county_id == county.jurisdiction.id]
            if len(inside) == 1:
                return inside[0].agency.ori, f"{how}: the unit in ICE's county, of {named}", score
        capital = self._capitals.get(units[0].agency.state)
        inside = [u for u in units if capital and u.county_id == capital]
        if len(inside) == 1:
            return inside[0].agency.ori, f"{how}: the unit in the capital's county, of {named}", score
        return None, f"{named}; none stands for the whole agency", 0.0

    # -- roster ------------------------------------------------------------------------------------

    def placed_roster(self) -> list[PlacedRosterAgency]:
        """Every roster row, placed: the same placement the ORI look-ups use, for every state."""
        for state in sorted(self._unplaced):
            self._roster(state)
        return [
            PlacedRosterAgency(e.agency, e.type_id, e.named, e.jurisdiction_id, e.county_id, e.rule)
            for state in sorted(self._roster_by_state)
            for e in self._roster_by_state[state]
        ]

    def _roster(self, state: str) -> list[_RosterEntry]:
        entries = self._roster_by_state.get(state)
        if entries is None:
            entries = self._roster_by_state[state] = []
            county_cache: dict[str, PlaceMatch | None] = {}
            for agency in self._unplaced.pop(state, []):
                entry = self._roster_entry(agency, county_cache)
                entries.append(entry)
                self._roster_by_ori[agency.ori] = entry
                if entry.jurisdiction_id:
                    self._roster_by_place[entry.jurisdiction_id].append(entry)
        return entries

    def _roster_entry(self, agency: RosterAgency, county_cache: dict[str, PlaceMatch | None]) -> _RosterEntry:
        name = agency.name.rstrip(":, ")
        kind = classify_agency(name, agency.state)
        # The name decides the type unless the FBI's own type rules it out ("Department of Public
        # Safety", an Other State Agency, is not a city's public-safety department).
        named = kind.id != "other" and agency.type in kind.roster_types
        if not named:
            kind = agency_type(_fbi_types().get(agency.type, "other"))
        if (agency.county or "") not in county_cache:
            county_cache[agency.county or ""] = self._roster_county(agency)
        county = county_cache[agency.county or ""]
        county_id = county.jurisdiction.id if county else None
        jurisdiction_id: str | None = None
        if kind.id in _BY_COUNTY_FIELD and county is not None:
            jurisdiction_id, rule = county_id, f"{kind.id}→county by the FBI's county field"
        elif agency.state != FEDERAL:
            binding, why = self._bind(name, agency.state, kind, county)
            jurisdiction_id = binding.jurisdiction.id if binding else None
            rule = binding.rule if binding else why
        else:
            rule = "a federal agency: no state or local jurisdiction"
        return _RosterEntry(agency, kind.id, named, jurisdiction_id, county_id, rule)

    def _roster_county(self, agency: RosterAgency) -> PlaceMatch | None:
        if agency.county is None or agency.state == FEDERAL:
            return None
        name = agency.county
        # The FBI writes Virginia's independent cities "RICHMOND CITY" and counties bare: "RICHMOND".
        if split_kind(fold_tokens(name))[1] is None:
            name += " County"
        return self.gazetteer.match(agency.state, name, Level.COUNTY)

    def _capital_counties(self) -> dict[str, str]:
        capitals: dict[str, str] = {}
        for postal, entry in load_yaml("places/state_capitals.yaml")["capitals"].items():
            found = self.gazetteer.find(postal, entry["county"], Level.COUNTY)
            if found:
                capitals[postal] = found.id
        return capitals


def _fits(entry: _RosterEntry, kind: AgencyType, loose: bool = False) -> bool:
    """Can this roster entry be an agency of this type? `loose`: a bare name ("Nassau", County) may be
    any type the FBI's agency_type_name allows, not just the FBI type's default."""
    if entry.type_id == kind.id:
        return True
    return loose and not entry.named and entry.agency.type in kind.roster_types


def _rank(asked: Sequence[str], keys: Sequence[Sequence[str]]) -> list[tuple[int, float]]:
    """(index into keys, best token-sort score of any asked key against any of its keys), best first."""
    choices = [key for entry in keys for key in entry]
    owner = [index for index, entry in enumerate(keys) for _ in entry]
    best: dict[int, float] = {}
    for key in asked:
        for _, score, position in process.extract(
            key, choices, scorer=fuzz.token_sort_ratio, limit=None, score_cutoff=ROSTER_THRESHOLD - 20
        ):
            best[owner[position]] = max(best.get(owner[position], 0.0), score)
    return sorted(best.items(), key=lambda item: -item[1])


def _county_of(place: Jurisdiction | None) -> str | None:
    if place is None:
        return None
    if place.level is Level.COUNTY:
        return place.id
    if place.level is Level.SUBDIVISION:
        return place.parent_id
    return None


def _present(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text.lower() in {"", "none", "#n/a", "#na", "n/a", "na", "null"} else text


_SEGMENTS = re.compile(r"\s*[-–]\s+|\s+[-–]\s*|[/,;]")


def place_names(name: str, state: str) -> list[str]:
    """The place names an agency's name may carry, most likely first.

    "Mahoning TWP Police Department - Montour" gives "mahoning township", then "montour";
    "Pennsylvania State Constables Office Cambria County" gives "pennsylvania cambria county", then
    "cambria county".
    """
    naming = agency_naming()
    state_tokens = fold_tokens(_state_name(state))
    names: list[str] = []
    for segment in _SEGMENTS.split(name.replace("’", "'")):
        text = " ".join(fold_tokens(segment))
        for phrase in naming.phrases:
            text = phrase.sub(" ", text)
        tokens = [t for t in text.split() if t not in naming.words]
        while tokens and tokens[0] in naming.edges:
            tokens.pop(0)
        while tokens and tokens[-1] in naming.edges:
            tokens.pop()
        if not tokens:
            continue
        options = [tokens]
        # "Southampton Twp Cumberland City": also the words up to each kind word.
        options += [tokens[: i + 1] for i, token in enumerate(tokens[:-1]) if token in _KIND_WORDS and i > 0]
        if state_tokens and tokens[: len(state_tokens)] == state_tokens and len(tokens) > len(state_tokens):
            options.append(tokens[len(state_tokens) :])
        for option in options:
            text = " ".join(option)
            if text not in names:
                names.append(text)
    return names


@lru_cache(maxsize=1 << 15)
def name_keys(name: str, state: str, drop: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """An agency's name folded for comparing its spellings, whole and by comma/dash segments: the
    state's name in front, "'s" and words like "Department" and "Office" dropped, and `drop` too."""
    drop = _NAME_DROP | drop
    name = name.rstrip(":, ")
    state_tokens = fold_tokens(_state_name(state))
    keys: list[str] = []
    segments = _SEGMENTS.split(name)
    for text in [name, *segments] if len(segments) > 1 else [name]:
        tokens = fold_tokens(re.sub(r"['’]s\b", "", text))
        if state_tokens and tokens[: len(state_tokens)] == state_tokens:
            tokens = tokens[len(state_tokens) :]
        key = " ".join(t for t in tokens if t not in drop)
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


def _state_name(postal: str) -> str:
    for state in STATES:
        if state.postal == postal:
            return state.name
    return ""


def _icpsr_key(name: str) -> str:
    """The ICPSR file lower-cases ICE's names and drops "Department", "Office", "'s", "City of" ..."""
    tokens = fold_tokens(re.sub(r"['’]s\b", "", name))
    if tokens[:2] == ["city", "of"]:
        tokens = tokens[2:]
    return "".join(t for t in tokens if t not in _ICPSR_DROP)


@cache
def _fbi_types() -> dict[str, str]:
    return dict(load_yaml("agency_types.yaml").get("fbi_types", {}))
