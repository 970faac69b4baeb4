"""The agency's state from what an agreement shows without naming it: places, ZIPs, area codes, offices."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from rapidfuzz import fuzz

from disentangle.errors import KnowledgeError
from disentangle.extract._extraction import Extraction
from disentangle.extract._text import DocumentView, PageView
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.model import Evidence, normalize_state

FILE = "agreements/state_inference.yaml"


@dataclass(frozen=True, slots=True)
class StateClue:
    """What one rule read in the document and the states it allows."""

    states: frozenset[str]
    evidence: Evidence


def fold_place(name: str) -> str:
    """A place name as the index keys it: "St. Augustine", "Saint Augustine" -> "st augustine"."""
    text = name.lower().replace("’", "'")
    text = re.sub(r"\bsaint\b", "st", text)
    text = re.sub(r"[.'`]", "", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    confidence: float
    source: str
    regex: re.Pattern[str] | None = None
    table: str = ""
    field: str = ""
    fallback: bool = False  # used only when no other name rule found a place
    prefix: bool = False  # look up the run's longest head rather than its longest tail


@dataclass(frozen=True, slots=True)
class PlaceSnap:
    """When an OCR'd place in the agency's name may be read as the nearest place of the agency's state."""

    rule: Rule
    min_ratio: float  # rapidfuzz ratio between the folded reading and the state's place
    margin: float  # ... and its lead over the state's next-nearest place
    county_words: re.Pattern[str]  # the word after a county's name ("County", "Parish")
    type_words: re.Pattern[str]  # the word after a municipality's name ("Police", "Department")


@dataclass(frozen=True, slots=True)
class StateKnowledge:
    margin: float
    counties: dict[str, frozenset[str]]
    places: dict[str, frozenset[str]]
    offices: dict[str, frozenset[str]]  # folded office name -> states of its area
    office_home: dict[str, str]  # folded office name -> state the office is in
    zip_prefixes: dict[str, str]
    area_codes: dict[str, str]
    name_rules: tuple[Rule, ...]
    contact_start: re.Pattern[str]
    contact_other: re.Pattern[str]
    contact_length: int
    contact_ignore: tuple[str, ...]
    contact_rules: tuple[Rule, ...]
    office_rules: tuple[Rule, ...]
    statutes: tuple[tuple[str, re.Pattern[str]], ...]
    statute_rule: Rule
    lea_offices: tuple[tuple[Rule, frozenset[str]], ...]  # an office some states' law alone creates
    names: dict[str, dict[str, tuple[str, ...]]]  # "counties"/"places" -> state -> names as printed
    snap: PlaceSnap
    ori_rule: Rule  # the NCIC code's first two letters
    ncic_states: dict[str, str]  # NCIC state codes that are not the USPS code ("NB" -> "NE")
    hsi_offices: dict[
        str, tuple[str, frozenset[str] | None]
    ]  # folded SAC city -> (its state, its area if known)
    hsi_home_confidence: float  # the clue of an HSI office whose area is not known: its own state only

    def ori_state(self, ori: str) -> str | None:
        """The USPS code of the state an NCIC code (ORI) starts with ("NB0010000" -> "NE")."""
        prefix = ori[:2].upper()
        if len(prefix) != 2 or not prefix.isalpha():
            return None
        return self.ncic_states.get(prefix) or normalize_state(prefix)


def _rule(entry: dict[str, Any]) -> Rule:
    for key in ("id", "confidence", "source"):
        if key not in entry:
            raise KnowledgeError(f"{KNOWLEDGE_DIR / FILE}: a rule lacks {key!r}: {entry!r}")
    try:
        regex = re.compile(entry["regex"]) if "regex" in entry else None
    except re.error as exc:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / FILE}: {entry['id']}: bad regex: {exc}") from exc
    return Rule(
        str(entry["id"]),
        float(entry["confidence"]),
        str(entry["source"]),
        regex,
        str(entry.get("table", "")),
        str(entry.get("field", "")),
        bool(entry.get("fallback", False)),
        bool(entry.get("prefix", False)),
    )


def _index(by_state: dict[str, str]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for state, names in by_state.items():
        for name in names.split("|"):
            out.setdefault(fold_place(name), set()).add(state)
    return {key: frozenset(states) for key, states in out.items()}


@cache
def state_knowledge() -> StateKnowledge:
    """Load state_inference.yaml and the tables it names; a bad entry is a KnowledgeError."""
    data = load_yaml(FILE)
    tables = data["tables"]
    names = load_yaml(tables["place_names"]["file"])
    for section in ("counties", "places"):
        if not isinstance(names.get(section), dict):
            raise KnowledgeError(f"{KNOWLEDGE_DIR / tables['place_names']['file']}: missing {section!r}")
    offices_data = load_yaml(tables["field_offices"]["file"])
    offices = {fold_place(o["name"]): frozenset(o["aor"]) for o in offices_data["offices"]}
    homes = {fold_place(o["name"]): str(o["state"]) for o in offices_data["offices"]}
    contact = data["lea_contact"]
    statutes = data["statutes"]
    statute_patterns = tuple(
        (state, re.compile("|".join(f"(?:{form})" for form in forms)))
        for state, forms in statutes["forms"].items()
    )
    return StateKnowledge(
        margin=float(data["margin"]),
        counties=_index(names["counties"]),
        places=_index(names["places"]),
        offices=offices,
        office_home=homes,
        zip_prefixes={
            str(k): str(v) for k, v in load_yaml(tables["zip_prefixes"]["file"])["prefixes"].items()
        },
        area_codes={str(k): str(v) for k, v in load_yaml(tables["area_codes"]["file"])["codes"].items()},
        name_rules=tuple(_rule(e) for e in data["name_rules"]),
        contact_start=re.compile(contact["start"]),
        contact_other=re.compile(contact["other_column"]),
        contact_length=int(contact["length"]),
        contact_ignore=tuple(contact["ignore"]),
        contact_rules=tuple(_rule(e) for e in contact["rules"]),
        office_rules=tuple(_rule(e) for e in data["office_rules"]),
        statutes=statute_patterns,
        statute_rule=Rule("state.statute_cited", float(statutes["confidence"]), str(statutes["source"])),
        names={
            section: {state: tuple(line.split("|")) for state, line in names[section].items()}
            for section in ("counties", "places")
        },
        snap=_place_snap(data.get("place_snap")),
        lea_offices=tuple((_rule(e), _states(e)) for e in data.get("lea_offices", ())),
        ori_rule=_rule(data["ori"]),
        ncic_states={str(k): str(v) for k, v in (data["ori"].get("ncic_states") or {}).items()},
        hsi_offices=_hsi_offices(load_yaml(tables["hsi_offices"]["file"])),
        hsi_home_confidence=float(
            next(e for e in data["office_rules"] if e.get("field") == "ice_office_hsi")["home_confidence"]
        ),
    )


def _hsi_offices(data: Any) -> dict[str, tuple[str, frozenset[str] | None]]:
    offices: dict[str, tuple[str, frozenset[str] | None]] = {}
    for entry in data.get("offices") or ():
        state = normalize_state(str(entry.get("state", "")))
        if not entry.get("name") or state is None:
            raise KnowledgeError(
                f"{KNOWLEDGE_DIR / 'hsi_offices.yaml'}: each office needs a name and a state"
            )
        aor = entry.get("aor")
        if aor is not None and (not entry.get("aor_source") or any(normalize_state(s) != s for s in aor)):
            raise KnowledgeError(
                f"{KNOWLEDGE_DIR / 'hsi_offices.yaml'}: {entry['name']}: an area lists USPS codes and its "
                "source"
            )
        offices[fold_place(entry["name"])] = (state, frozenset(aor) if aor else None)
    return offices


def _states(entry: dict[str, Any]) -> frozenset[str]:
    states = frozenset(str(s) for s in entry.get("states", ()))
    if not states or any(normalize_state(s) != s for s in states):
        raise KnowledgeError(f"{KNOWLEDGE_DIR / FILE}: {entry.get('id')!r}: 'states' must list USPS codes")
    return states


def _place_snap(entry: Any) -> PlaceSnap:
    if not isinstance(entry, dict):
        raise KnowledgeError(f"{KNOWLEDGE_DIR / FILE}: missing 'place_snap'")
    try:
        return PlaceSnap(
            rule=_rule(entry),
            min_ratio=float(entry["min_ratio"]),
            margin=float(entry["margin"]),
            county_words=re.compile(r"(?i:" + "|".join(entry["county_words"]) + r")\b"),
            type_words=re.compile(r"(?i:" + "|".join(entry["type_words"]) + r")\b"),
        )
    except (KeyError, TypeError, re.error) as exc:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / FILE}: place_snap: {exc}") from exc


@dataclass(frozen=True, slots=True)
class SnappedPlace:
    reading: str  # the words as read ("Dune")
    place: str  # the state's place they are read as ("Dunn")
    table: str  # counties | places
    state: str
    ratio: float


def snap_place(name: str, states: Iterable[str]) -> tuple[str, SnappedPlace] | None:
    """The agency name with an OCR-damaged county or municipality read as the nearest place of `states`
    ("Dune County Sheriff's Office" in ND -> "Dunn County Sheriff's Office"), or None.

    The words before the name's first type word are the place ("County" -> a county, "Police" or
    "Department" -> a municipality). Nothing changes when those words already name a place of one of the
    states, when no place is within `min_ratio`, or when the nearest leads the next by less than `margin`."""
    knowledge = state_knowledge()
    snap = knowledge.snap
    words = name.split()
    index = next(
        (i for i, word in enumerate(words) if snap.county_words.match(word) or snap.type_words.match(word)), 0
    )
    if index == 0:  # no type word, or no words before it
        return None
    county = bool(snap.county_words.match(words[index]))
    reading = " ".join(words[:index])
    folded = fold_place(reading)
    table = "counties" if county else "places"
    index_table = knowledge.counties if county else knowledge.places
    wanted = set(states)
    if not folded or not wanted or wanted & index_table.get(folded, frozenset()):
        return None
    scored: dict[str, tuple[float, str, str]] = {}  # folded place -> (ratio, printed, state)
    for state in sorted(wanted):
        for printed in knowledge.names[table].get(state, ()):
            key = fold_place(printed)
            ratio = fuzz.ratio(folded, key)
            if ratio > scored.get(key, (-1.0, "", ""))[0]:
                scored[key] = (ratio, printed, state)
    ranked = sorted(scored.values(), reverse=True)
    if not ranked or ranked[0][0] < snap.min_ratio:
        return None
    if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < snap.margin:
        return None
    ratio, printed, state = ranked[0]
    snapped = " ".join([printed, *words[index:]])
    return snapped, SnappedPlace(reading, printed, table, state, ratio)


def _lookup(
    words: str, tables: list[dict[str, frozenset[str]]], *, prefix: bool = False
) -> tuple[str, frozenset[str]] | None:
    """The whole run the tables know, else its longest tail (head, for `prefix`) of two or more words."""
    tokens = words.split()
    spans = (
        [tokens[:end] for end in range(len(tokens), 0, -1)]
        if prefix
        else [tokens[start:] for start in range(len(tokens))]
    )
    for index, part in enumerate(spans):
        if index and len(part) < 2 and not prefix:
            break
        text = " ".join(part).rstrip(",")
        if prefix and normalize_state(text):
            return None
        states = frozenset().union(*(table.get(fold_place(text), frozenset()) for table in tables))
        if states:
            return text, states
    return None


def _clue(states: frozenset[str], rule: Rule, base: Evidence, quote: str | None = None) -> StateClue:
    return StateClue(
        states,
        Evidence(base.sha256, base.page, base.start, base.end, quote or base.quote, rule.id, rule.confidence),
    )


def clues_from_name(name: str, where: Evidence) -> Iterator[StateClue]:
    """A county or municipality in the agency's own name, as the states that have one of that name."""
    knowledge = state_knowledge()
    seen: set[str] = set()
    for rule in knowledge.name_rules:
        assert rule.regex is not None
        if rule.fallback and seen:
            continue
        tables = {
            "counties": [knowledge.counties],
            "places": [knowledge.places],
            "any": [knowledge.counties, knowledge.places],
        }[rule.table]
        for match in rule.regex.finditer(name):
            found = _lookup(match["place"].strip(), tables, prefix=rule.prefix)
            if found is None or (rule.table + found[0]) in seen:
                continue
            seen.add(rule.table + found[0])
            # The quote stays the page's words; the rule id says which table the name was looked up in.
            yield _clue(found[1], rule, where)


def _contact_blocks(page: PageView, knowledge: StateKnowledge) -> Iterator[tuple[int, str]]:
    """(offset, text) of each LEA contact block on the page, the LEA's column only."""
    text = page.text
    for start in knowledge.contact_start.finditer(text):
        line_start = text.rfind("\n", 0, start.start()) + 1
        line_end = text.find("\n", start.end())
        line_end = len(text) if line_end < 0 else line_end
        other = knowledge.contact_other.search(text, start.end(), line_end)
        width = other.start() - line_start if other else None
        end = min(len(text), start.end() + knowledge.contact_length)
        stop = knowledge.contact_other.search(text, line_end, end)
        if stop is not None:
            end = (
                text.rfind("\n", 0, stop.start()) + 1
                if "\n" in text[line_end : stop.start()]
                else stop.start()
            )
        # Keep the LEA's column: blank out what lies right of the other head's column on each line.
        chars = list(text[start.end() : end])
        if width is not None:
            column = start.end() - line_start
            for index, char in enumerate(chars):
                if char == "\n":
                    column = -1
                elif column >= width:
                    chars[index] = " "
                column += 1
        yield start.end(), "".join(chars)


def clues_from_contact(view: DocumentView) -> Iterator[StateClue]:
    """The LEA's own telephone area code and ZIP code in its contact block."""
    knowledge = state_knowledge()
    for page in view.pages:
        for offset, block in _contact_blocks(page, knowledge):
            for rule in knowledge.contact_rules:
                assert rule.regex is not None
                for match in rule.regex.finditer(block):
                    quote = " ".join(match.group(0).split())
                    if any(ignored in match.group(0) for ignored in knowledge.contact_ignore):
                        continue
                    if rule.table == "area_codes":
                        state = knowledge.area_codes.get(match["code"])
                    else:
                        state = knowledge.zip_prefixes.get(match["zip"][:3])
                    if state is None:
                        continue
                    start, end = offset + match.start(), offset + match.end()
                    quote = " ".join(page.text[start:end].split())
                    yield StateClue(
                        frozenset({state}),
                        Evidence(view.sha256, page.number, start, end, quote, rule.id, rule.confidence),
                    )


def office_area(name: str) -> frozenset[str] | None:
    """The states of a field office's area, by its name ("St. Paul", "Miami Field Office")."""
    key = fold_place(re.sub(r"\s+Field\s+Office$", "", name, flags=re.IGNORECASE))
    return state_knowledge().offices.get(key)


def hsi_office(name: str) -> tuple[str, frozenset[str] | None] | None:
    """(the state it sits in, its area if known) of an HSI SAC office named as an agreement names it ("SAC
    Tampa", "SAC Miami Office"); None for any other office."""
    match = re.match(r"\s*SAC\s+(?P<city>.+?)(?:\s+Office)?\s*$", name, re.IGNORECASE)
    return state_knowledge().hsi_offices.get(fold_place(match["city"])) if match else None


def clues_from_ori(ori: str | None, where: Evidence | None) -> Iterator[StateClue]:
    """The state an NCIC code (ORI) starts with: "CA0195300" -> CA."""
    if not ori or where is None:
        return
    knowledge = state_knowledge()
    state = knowledge.ori_state(ori)
    if state is not None:
        yield _clue(frozenset({state}), knowledge.ori_rule, where)


def clues_from_offices(view: DocumentView, result: Extraction) -> Iterator[StateClue]:
    """The area of the ICE field office and of the Chief Counsel office the agreement names."""
    knowledge = state_knowledge()
    for rule in knowledge.office_rules:
        if rule.field == "ice_office_hsi":
            facts = result.evidence_for("ice_office")
            office = hsi_office(result.ice_office or "")
            if facts and office:
                seat, known_area = office
                states, confidence = (
                    (known_area, rule.confidence) if known_area else (frozenset({seat}), None)
                )
                clue = _clue(states, rule, facts[0].evidence)
                if confidence is None:
                    clue = StateClue(
                        clue.states, replace(clue.evidence, confidence=knowledge.hsi_home_confidence)
                    )
                yield clue
            continue
        if rule.field == "ice_office":
            facts = result.evidence_for("ice_office")
            area = office_area(result.ice_office or "")
            if facts and area:
                yield _clue(area, rule, facts[0].evidence)
            continue
        assert rule.regex is not None
        for page in view.pages:
            for match in rule.regex.finditer(page.text):
                groups = match.groupdict()
                area = None
                if groups.get("office"):
                    area = office_area(groups["office"])
                elif groups.get("city"):
                    # An OPLA office in a field-office city covers that office's area; elsewhere, the area of
                    # every field office that covers the office's state.
                    area = office_area(groups["city"])
                    home = normalize_state(groups.get("state") or "")
                    if area is None and home:
                        covering = [s for s in knowledge.offices.values() if home in s]
                        area = frozenset().union(*covering) if covering else frozenset({home})
                if area:
                    quote = " ".join(match.group(0).split())
                    yield StateClue(
                        area,
                        Evidence(
                            view.sha256,
                            page.number,
                            match.start(),
                            match.end(),
                            quote,
                            rule.id,
                            rule.confidence,
                        ),
                    )
                    break


def _first_match(
    view: DocumentView, regex: re.Pattern[str], states: frozenset[str], rule: Rule
) -> StateClue | None:
    """The first page's match of `regex`, as a clue for `states`."""
    for page in view.pages:
        match = regex.search(page.text)
        if match:
            quote = " ".join(match.group(0).split())
            return StateClue(
                states,
                Evidence(
                    view.sha256, page.number, match.start(), match.end(), quote, rule.id, rule.confidence
                ),
            )
    return None


def clues_from_statutes(view: DocumentView) -> Iterator[StateClue]:
    """A state's statutes cited by their name ("Fla. Stat.", "Tex. Gov't Code")."""
    knowledge = state_knowledge()
    for state, pattern in knowledge.statutes:
        clue = _first_match(view, pattern, frozenset({state}), knowledge.statute_rule)
        if clue:
            yield clue


def clues_from_lea_offices(view: DocumentView) -> Iterator[StateClue]:
    """The LEA's head named by an office only some states create ("For the LEA: Jailer ...": Kentucky's
    elected county jailer)."""
    for rule, states in state_knowledge().lea_offices:
        assert rule.regex is not None
        clue = _first_match(view, rule.regex, states, rule)
        if clue:
            yield clue


def decide(clues: list[StateClue], margin: float | None = None) -> tuple[str | None, dict[str, float]]:
    """Sum each rule's confidence once per state it allows; the leader wins only by `margin`."""
    threshold = state_knowledge().margin if margin is None else margin
    best_per_rule: dict[tuple[str, str], float] = {}
    for clue in clues:
        rule = clue.evidence.rule.removesuffix("~fuzzy")
        for state in clue.states:
            key = (state, rule)
            best_per_rule[key] = max(best_per_rule.get(key, 0.0), clue.evidence.confidence)
    scores: dict[str, float] = {}
    for (state, _), confidence in best_per_rule.items():
        scores[state] = scores.get(state, 0.0) + confidence
    if not scores:
        return None, scores
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    leader, top = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return (leader if top - runner_up >= threshold - 1e-9 else None), scores
