"""Field extractors: small classes that each fill some fields of an Extraction, with evidence."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any, Protocol

from rapidfuzz import fuzz

from disentangle.extract._dates import find_dates
from disentangle.extract._extraction import Extraction
from disentangle.extract._knowledge import Pattern, clauses, functions, parties
from disentangle.extract._match import Match, find
from disentangle.extract._places import (
    StateClue,
    clues_from_contact,
    clues_from_lea_offices,
    clues_from_name,
    clues_from_offices,
    clues_from_ori,
    clues_from_statutes,
    decide,
    fold_place,
    snap_place,
    state_knowledge,
)
from disentangle.extract._signatures import ReadSignature, read_signatures
from disentangle.extract._signers import KnownSignersExtractor
from disentangle.extract._text import DocumentView, PageView
from disentangle.model import Evidence, Finding, PageMethod, normalize_state

AGREEMENT_287G = frozenset({"287g-jem", "287g-wso", "287g-tfm"})
AGREEMENTS = AGREEMENT_287G | {"tff-mou", "igsa", "other"}


class FieldExtractor(Protocol):
    """One extension point: declares the kinds it reads and the fields it fills, and does it."""

    @property
    def kinds(self) -> frozenset[str]: ...

    @property
    def fields(self) -> tuple[str, ...]: ...

    def extract(self, view: DocumentView, result: Extraction) -> None: ...


def _clean_name(raw: str) -> str:
    text = " ".join(re.sub(r"[\x00-\x1f_]", " ", raw).split())
    # An OCR row holds both columns of a signature form: "Hughes County Sheriffs Office Agency: U.S. ...".
    text = re.split(r"\s+Agency\b", text)[0]
    text = re.sub(r"^(?:the\s+|,\s*)+", "", text, flags=re.IGNORECASE)
    # OCR debris in front of the name's first letter ("©*otPatn Beach Gardens").
    text = re.sub(r"^[^\w(]+(?=\w)", "", text)
    # OCR reads the "t" of a closing "Dept" as l, L, 1 or I ("Oakland Police DepL").
    text = re.sub(r"\bDep[lL1I]\.?$", "Dept.", text)
    return text.strip(" ,.'’\"`;:|")


def repair_agency_words(name: str) -> str:
    """The agency-name words OCR misspelt, read as the vocabulary word they are ("Austin County Sheritrs
    Office" -> "Austin County Sheriffs Office"; "Sheri f r s" -> "Sheriffs"); other words unchanged."""
    config = parties()
    vocabulary = {w.lower(): w for w in config.agency_vocabulary}
    places = state_knowledge()

    def confused(word: str) -> str:
        return "".join(config.ocr_confusions.get(c, c) for c in word)

    def snap(word: str) -> str | None:
        bare = word.strip(",.;:").lower().replace("’", "'")  # "Sherif’s": OCR's curly apostrophe
        if bare in vocabulary or len(bare) < 4 or not bare.replace("'", "").isalpha():
            return None
        if bare in places.counties or bare in places.places:  # "Centre County" stays Centre
            return None
        close = [
            v
            for key, v in vocabulary.items()
            if key[0] == bare[0]
            and abs(len(key) - len(bare)) <= 2
            and (
                fuzz.ratio(bare, key) >= config.vocabulary_ratio
                or fuzz.ratio(confused(bare), confused(key)) >= config.confused_ratio
            )
        ]
        if len({c.lower().rstrip("s").replace("'", "") for c in close}) != 1:
            return None
        best = max(close, key=lambda v: fuzz.ratio(bare, v.lower()))
        return best.upper() if word.isupper() else best

    words = name.split()
    out: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        # Letters spaced apart: "Sheri f r s" is one word.
        run = index + 1
        while run < len(words) and len(words[run]) == 1 and words[run].isalpha():
            run += 1
        if run > index + 1:
            merged = snap(word + "".join(words[index + 1 : run]))
            if merged:
                out.append(merged)
                index = run
                continue
        out.append(snap(word) or word)
        index += 1
    return " ".join(out)


def _plausible_agency(name: str) -> bool:
    words = name.split()
    letters = sum(c.isalpha() for c in name)
    # A name starts with a capital, or (OCR-damaged) its first word holds one ("otPatn Beach Gardens ...").
    capital = bool(words) and (name[:1].isupper() or any(c.isupper() for c in words[0]))
    return 2 <= len(words) <= 14 and letters >= 0.75 * len(name.replace(" ", "")) and capital


# A word as a clean text layer prints it in an agency's name: "Sheriff's", "St.", "Miami-Dade", "(FL)", "&".
_CLEAN_WORD = re.compile(
    r"^\(?(?:[A-Za-z][a-z’'.]*(?:-[A-Za-z][a-z’'.]*)*[A-Za-z.]?|[A-Z][A-Z’'.\-]*|&)\)?,?$"
)
_ABBREVIATION = re.compile(r"^[A-Z][A-Z&.]{1,9}$")
_MINOR_WORDS = {"of", "the", "and", "for"}


def _clean_reading(name: str) -> bool:
    """No OCR debris: every word looks like a word ("sp11ngs", "Coc:nly", "Plor~o" do not, nor the lone "s"
    of "Sheriffs Ofte s")."""
    return all(_CLEAN_WORD.match(word) and not (len(word) == 1 and word.islower()) for word in name.split())


_SHORT_WORD = re.compile(r"^(?:[A-Z][a-z]{0,5}\.|[A-Z](?:\.?[A-Z]){1,4}\.?)$")
_PLACE_ABBREVIATIONS = {"St.", "Mt.", "Ft.", "Pt.", "Dept."}


def _abbreviated(name: str) -> bool:
    """A name with shortened words ("Chatt. PD", "Riviera Beach P.O", "DFS, Criminal")."""
    words = [w.strip(",") for w in name.split()]
    return any(_SHORT_WORD.match(w) and w not in _PLACE_ABBREVIATIONS for w in words)


def _spells_out(short: str, full: str) -> bool:
    """`full` is `short` written out, starting the same way ("Chatt. PD" -> "Chattahoochee Police ...")."""
    if len(full) <= len(short):
        return False
    # Cut off by a form field: "DFS, Criminal" -> "DFS, Criminal Investigations Division", "High Sprin" ->
    # "High Springs, FL Police Dept".
    if full.lower().startswith(short.lower()):
        return True
    return (
        _abbreviated(short)
        and not _abbreviated(full)
        and full.lower().startswith(short.split()[0].strip(",.").lower())
    )


# "Nash County, NC Sheriff's Office", "Troy, New Hampshire Police", "High Springs, FL Police Dept": a state
# inside the name, read (and left out of the name) by the state extractor like a state after it.
_EMBEDDED_STATE = re.compile(
    r"(?P<head>\b[A-Z][A-Za-z.]*),\s*(?P<state>[A-Z]{2}|[A-Z][a-z]+(?: [A-Z][a-z]+)?)\s+"
    r"(?=(?:Sheriff|Police|Dep(?:artmen)?t|Public|Office|Marshal|Constable)\b)",
    re.IGNORECASE,
)
_SEAT_SUFFIX = re.compile(
    r"(?P<head>.*\b(?:Office|OFFICE|Department|DEPARTMENT)),\s*"
    r"(?P<place>[A-Z][A-Za-z.]+(?: [A-Z][A-Za-z.]+)?)"
    r"(?P<tail>,\s*[A-Z][A-Za-z]+(?: [A-Z][a-z]+)?)?$"
)


def _without_address(name: str) -> str:
    """The name without the seat printed after it: "Walworth County Sheriffs Office, Elkhorn" -> "Walworth
    County Sheriffs Office". A state inside or after the name is the state extractor's to read and strip."""
    seat = _SEAT_SUFFIX.match(name)
    if seat and not normalize_state(seat["place"]):
        knowledge = state_knowledge()
        key = fold_place(seat["place"])
        tail = seat["tail"] or ""
        if (key in knowledge.places or key in knowledge.counties) and (not tail or normalize_state(tail[1:])):
            name = seat["head"] + tail
    return name


def _initials(name: str) -> str:
    return "".join(
        w[0] for w in re.findall(r"[A-Za-z][\w’']*", name) if w.lower() not in _MINOR_WORDS
    ).upper()


def _header_names(view: DocumentView, pattern: Pattern) -> list[tuple[str, PageView, int, int]]:
    """Agency names printed as a running header or footer line, most pages first."""
    found: dict[str, list[tuple[PageView, int, int]]] = {}
    for page in view.pages:
        seen: set[str] = set()
        for match in pattern.regex.finditer(page.text):
            name = " ".join(match["name"].split())
            if name not in seen:
                seen.add(name)
                found.setdefault(name, []).append((page, *match.span("name")))
    floor = int(pattern.extra.get("min_pages", 2))
    ranked = sorted(
        ((n, places) for n, places in found.items() if len(places) >= floor), key=lambda x: -len(x[1])
    )
    return [(name, *places[0]) for name, places in ranked]


class AgencyExtractor:
    """The local agency as the agreement names it, its abbreviation, and the ", AL" after the name."""

    kinds = AGREEMENTS
    fields = ("agency.name", "agency.abbreviation")

    def extract(self, view: DocumentView, result: Extraction) -> None:
        config = parties()
        candidates: list[tuple[str, Evidence, str | None, Match | None, bool]] = []
        expansions = next((p for p in config.agency if p.id == "agency.abbreviation_expanded"), None)
        for pattern in config.agency:
            if pattern.id == "agency.abbreviation_expanded":
                continue
            if pattern.id == "agency.running_header":
                for name, page, start, end in _header_names(view, pattern):
                    name = _clean_name(name)
                    if _plausible_agency(name) and not config.ice_markers.search(name):
                        quote = " ".join(page.text[start:end].split())
                        ev = Evidence(
                            view.sha256, page.number, start, end, quote, pattern.id, pattern.confidence
                        )
                        candidates.append((name, ev, None, None, False))
                continue
            defines = bool(pattern.extra.get("defines_lea"))
            for match in find(view, pattern):
                name = _clean_name(match.groups.get("name", ""))
                abbr = match.groups.get("abbr") or ""
                if defines and expansions and not _plausible_agency(name) and _ABBREVIATION.match(abbr):
                    # "the a constitutional officer of the State of Florida, located at ..., ("NCSO")": the
                    # clause names no agency, but its initials are spelled out elsewhere.
                    name = abbr
                if defines and expansions and _ABBREVIATION.match(name):
                    expanded = self._expand(view, name, expansions)
                    if expanded:
                        candidates.append((*expanded, None, None, True))
                    continue
                if (
                    not _plausible_agency(name)
                    or config.ice_markers.search(name)
                    or config.not_agency.match(name)
                ):
                    continue
                start, end = match.spans["name"]
                # The evidence starts at the name itself, past a leading "the" or form underscores.
                lead = match.page.text[start:end].find(name.split()[0])
                start += max(lead, 0)
                quote = " ".join(match.page.text[start:end].split())
                ev = Evidence(
                    view.sha256,
                    match.page.number,
                    start,
                    end,
                    quote,
                    match.pattern.id,
                    match.pattern.confidence,
                )
                candidates.append((name, ev, match.groups.get("abbr"), match, defines))
        if not candidates:
            return
        clean = [c for c in candidates if _clean_reading(c[0])]
        worded = [c for c in clean if config.agency_words.search(c[0])]
        defining = [c for c in clean if c[4]]
        rest_worded = [c for c in candidates if config.agency_words.search(c[0])]
        chosen = (defining or worded or clean or rest_worded or candidates)[0]
        if chosen[4]:
            # The LEA defined by a shortened or cut-off name ("Chatt. PD"; "Franklin County" or "Iowa
            # Department" where a form field broke the line): the same name written out in full elsewhere.
            chosen = next((c for c in worded if _spells_out(chosen[0], c[0])), chosen)
        name, evidence, _, chosen_match, _ = chosen
        name = _without_address(repair_agency_words(name))
        result.agency_name = name
        result.add("agency.name", name, evidence)
        for _name, _ev, listed_abbr, abbr_match, _ in candidates:
            abbr = listed_abbr or ""
            if not abbr or abbr_match is None:
                continue
            if normalize_state(abbr) and len(abbr) == 2:
                # "the Jefferson County Sheriff's Office (FL)": a state, not an abbreviation.
                if abbr_match is chosen_match:
                    result.agency_name = f"{name} ({abbr})"
            elif abbr.upper() not in ("LEA", "ICE", "DHS") and result.agency_abbreviation is None:
                result.agency_abbreviation = abbr
                result.add("agency.abbreviation", abbr, abbr_match.evidence(view.sha256, group="abbr"))

    @staticmethod
    def _expand(view: DocumentView, abbr: str, pattern: Pattern) -> tuple[str, Evidence] | None:
        """The name whose initials are `abbr`, where the document spells it out ("SIBPD")."""
        want = abbr.replace(".", "").replace("&", "").upper()
        for match in find(view, pattern):
            text = " ".join(match.groups["name"].split())
            words = text.split()
            # The phrase may start with words that are not part of the name: take the tail that fits.
            for begin in range(len(words)):
                tail = " ".join(words[begin:])
                if _initials(tail) == want:
                    start = match.spans["name"][0] + match.groups["name"].find(words[begin])
                    end = match.spans["name"][1]
                    quote = " ".join(match.page.text[start:end].split())
                    return tail, Evidence(
                        view.sha256, match.page.number, start, end, quote, pattern.id, pattern.confidence
                    )
        return None


class StateExtractor:
    """The agency's state: a vote over the places that print it and the clues that imply it (see _places)."""

    kinds = AGREEMENTS
    fields = ("agency.state",)

    def extract(self, view: DocumentView, result: Extraction) -> None:
        config = parties()
        clues: list[StateClue] = []

        def vote(state_text: str, ev: Evidence) -> None:
            code = normalize_state(state_text)
            if code is not None:
                clues.append(StateClue(frozenset({code}), ev))

        name_facts = result.evidence_for("agency.name")
        name_ev = name_facts[0].evidence if name_facts else None
        if result.agency_name and name_ev:
            suffix = config.state_suffix.regex.search(result.agency_name)
            if suffix and normalize_state(suffix["state"]):
                vote(suffix["state"], _with_rule(name_ev, config.state_suffix))
                result.agency_name = result.agency_name[: suffix.start()].rstrip(" ,")
            embedded = _EMBEDDED_STATE.search(result.agency_name)
            if embedded and normalize_state(embedded["state"]):
                vote(embedded["state"], _with_rule(name_ev, config.state_suffix))
                name = result.agency_name
                result.agency_name = (
                    name[: embedded.start()] + embedded["head"] + " " + name[embedded.end() :]
                )
        for pattern in config.state:
            if pattern.id == "state.agency_named_for_state":
                m = pattern.regex.search(result.agency_name or "")
                if m and name_ev:
                    vote(m["state"], _with_rule(name_ev, pattern))
                continue
            for match in find(view, pattern):
                state_text = match.groups.get("state")
                if state_text:
                    vote(state_text, match.evidence(view.sha256))
        if result.agency_name and name_ev:
            clues.extend(clues_from_name(result.agency_name, name_ev))
        ori_facts = result.evidence_for("agency.ori")
        clues.extend(clues_from_ori(result.ori, ori_facts[0].evidence if ori_facts else None))
        clues.extend(clues_from_contact(view))
        clues.extend(clues_from_offices(view, result))
        clues.extend(clues_from_statutes(view))
        clues.extend(clues_from_lea_offices(view))
        best, scores = decide(clues)
        if best is None:
            if len([s for s in scores.values() if s > 0]) > 1:
                ranked = sorted(scores.items(), key=lambda i: -i[1])
                top = ranked[0][1]
                result.state_candidates = sorted(k for k, v in ranked if v > top - state_knowledge().margin)
                shown = ", ".join(f"{k} {v:.2f}" for k, v in ranked[:4])
                result.warnings.append(f"state left empty: the evidence allows several states ({shown})")
            return
        result.state = best
        # The strongest clue first; every clue that allowed the state is kept as evidence.
        supporting = sorted((c for c in clues if best in c.states), key=lambda c: -c.evidence.confidence)
        seen: set[str] = set()
        for clue in supporting:
            if clue.evidence.rule not in seen:  # one piece of evidence per rule: the strongest, the first
                seen.add(clue.evidence.rule)
                result.add("agency.state", best, clue.evidence)


class AgencyPlaceExtractor:
    """An agency name OCR misread ("Dune County Sheriff's Office"), its place read as the nearest place of
    the agency's state ("Dunn County"); knowledge/agreements/state_inference.yaml, `place_snap`."""

    kinds = AGREEMENTS
    fields = ("agency.name",)

    def extract(self, view: DocumentView, result: Extraction) -> None:
        facts = [i for i, f in enumerate(result.findings) if f.field == "agency.name"]
        states = [result.state] if result.state else result.state_candidates
        if not result.agency_name or not facts or not states:
            return
        index = facts[0]
        ev = result.findings[index].evidence
        if view.pages[ev.page - 1].page.method is not PageMethod.OCR:
            return  # a text layer prints the name the agency gave itself
        snapped = snap_place(result.agency_name, states)
        if snapped is None:
            return
        name, place = snapped
        rule = state_knowledge().snap.rule
        kind = "county" if place.table == "counties" else "municipality"
        result.warnings.append(
            f"agency name: OCR read {place.reading!r}, which is no {kind} of {'/'.join(states)}; read as "
            f"{place.place!r} ({place.state}), the nearest in spelling ({place.ratio:.0f}/100)"
        )
        result.agency_name = name
        result.findings[index] = Finding(
            "agency.name",
            name,
            replace(ev, rule=f"{ev.rule}+{rule.id}", confidence=min(ev.confidence, rule.confidence)),
        )


def _with_rule(ev: Evidence, pattern: Pattern) -> Evidence:
    return replace(ev, rule=pattern.id, confidence=pattern.confidence)


class OriExtractor:
    """The agency's ORI (NCIC code), which TFF MOUs print."""

    kinds = AGREEMENTS
    fields = ("agency.ori",)

    def extract(self, view: DocumentView, result: Extraction) -> None:
        config = parties()
        for pattern in config.ori:
            for match in find(view, pattern):
                printed = match.groups["ori"].replace(" ", "")
                ori = (
                    "".join(config.ori_as_letter.get(c, c) for c in printed[:2])
                    + "".join(config.ori_as_digit.get(c, c) for c in printed[2:7])
                    + printed[7:]
                )
                if not ori[:2].isalpha() or not ori[2:7].isdigit() or not state_knowledge().ori_state(ori):
                    continue  # not an NCIC code, however read
                result.ori = ori
                ev = match.evidence(view.sha256, group="ori")
                if ori != printed:  # read through OCR's confusions: the quote stays as printed
                    ev = replace(ev, rule=f"{ev.rule}~ocr", confidence=round(ev.confidence * 0.9, 3))
                result.add("agency.ori", result.ori, ev)
                return


class IceOfficeExtractor:
    """The ICE office the agreement runs through (ERO field office, or HSI SAC office for TFF MOUs)."""

    kinds = AGREEMENTS
    fields = ("ice_office",)

    def extract(self, view: DocumentView, result: Extraction) -> None:
        config = parties()
        known = {name.lower(): name for name in config.field_offices}
        for pattern in config.ice_office:
            for match in find(view, pattern):
                office = " ".join(match.groups.get("office", "").split())
                if pattern.id.startswith("ice_office.tff"):
                    value = "SAC " + re.sub(r"\s+Office$", "", office)
                else:
                    canonical = known.get(office.lower()) or next(
                        (v for k, v in known.items() if office.lower().endswith(k)), None
                    )
                    if canonical is None:
                        continue
                    value = f"{canonical} Field Office"
                result.ice_office = value
                result.add("ice_office", value, match.evidence(view.sha256, group="office"))
                return


class FunctionsExtractor:
    """The delegated functions, as codes, each where the agreement grants it."""

    kinds = AGREEMENT_287G | {"other"}
    fields = ("functions",)

    def extract(self, view: DocumentView, result: Extraction) -> None:
        for rule in functions():
            for pattern in rule.phrases:
                matches = find(view, pattern, fuzzy=True)
                if matches:
                    best = max(matches, key=lambda m: m.score)
                    result.functions.append(rule.code)
                    result.add(f"functions.{rule.code}", True, best.evidence(view.sha256))
                    break


def _sets(match: Match) -> dict[str, object]:
    values: dict[str, object] = {}
    for key, value in match.pattern.extra.get("sets", {}).items():
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            group = match.groups.get(value[1:-1])
            values[key] = int(group) if group and group.isdigit() else group
        else:
            values[key] = value
    return values


class SignaturesExtractor:
    """Signature blocks of the agreement and its addenda; the date the agreement was signed."""

    kinds = AGREEMENTS
    fields = ("signatories", "signed_date")

    def extract(self, view: DocumentView, result: Extraction) -> None:
        reads = read_signatures(view)
        _drop_implausible_dates(reads, result)
        for index, read in enumerate(reads):
            result.signatories.append(read.signatory)
            for key, ev in read.evidence.items():
                value = getattr(read.signatory, key)
                result.add(f"signatories[{index}].{key}", value, ev)
        dated = [(s, i) for i, s in enumerate(result.signatories) if s.part == "agreement" and s.date]
        if dated:
            last, index = max(dated, key=lambda pair: pair[0].date or date.min)
            result.signed_date = last.date
            result.add(
                "signed_date", last.date, result.evidence_for(f"signatories[{index}].date")[0].evidence
            )


SIGNATURE_SPREAD_DAYS = 365  # the parties to one agreement sign within months of each other


def _drop_implausible_dates(reads: list[ReadSignature], result: Extraction) -> None:
    """Leave out a signature date that cannot be right, with a warning: one before the revision of the
    template the agreement is written on, or one more than a year after every other signature of the
    agreement (Calhoun TX's ICE date OCR'd as "March 7, 2029" beside the LEA's 2025 date)."""
    revision = result.template.revision if result.template and result.template.known_revision else None
    floor = date.fromisoformat(revision) if revision else None
    dated = [r for r in reads if r.signatory.part == "agreement" and r.signatory.date]
    for read in reads:
        signed = read.signatory.date
        if signed is None:
            continue
        others = [r.signatory.date for r in dated if r is not read and r.signatory.date]
        if floor and signed < floor:
            why = f"before the template's revision ({floor.isoformat()})"
        elif (
            read.signatory.part == "agreement"
            and others
            and (signed - max(others)).days > SIGNATURE_SPREAD_DAYS
        ):
            why = f"more than a year after the agreement's other signatures ({max(others).isoformat()})"
        else:
            continue
        quote = read.evidence["date"].quote if "date" in read.evidence else signed.isoformat()
        result.warnings.append(
            f"signature date {quote!r} ({read.signatory.side}, page {read.signatory.page}) read as "
            f"{signed.isoformat()}, {why}: a misreading, left out"
        )
        read.signatory.date = None
        read.signatory.date_form = None
        read.evidence.pop("date", None)


class TermsExtractor:
    """Effective date and term, termination and suspension terms."""

    kinds = AGREEMENTS
    fields = ("effective_date", "term", "termination", "suspension", "review_years")

    def extract(self, view: DocumentView, result: Extraction) -> None:
        patterns = clauses()
        for section in ("effective", "term", "termination", "suspension"):
            for pattern in patterns[section]:
                matches = find(view, pattern, fuzzy=True, across_pages=True)
                if not matches:
                    continue
                match = matches[0]
                values = _sets(match)
                ev = match.sentence_evidence(view.sha256)
                for key, value in values.items():
                    if value is None:
                        continue
                    if section == "termination":
                        if getattr(result.termination, key) is None:
                            setattr(result.termination, key, value)
                            result.add(f"termination.{key}", value, ev)
                    elif section == "suspension":
                        result.suspension.setdefault(str(key), bool(value))
                        result.add(f"suspension.{key}", value, ev)
                    elif key == "effective" and result.effective_rule is None:
                        result.effective_rule = str(value)
                        result.add("effective_rule", value, ev)
                    elif key == "term" and result.term is None:
                        result.term = str(value)
                        result.add("term", value, ev)
                    elif key == "review_years" and result.review_years is None:
                        result.review_years = int(str(value))
                        result.add("review_years", result.review_years, ev)
        self._effective_date(result)

    @staticmethod
    def _effective_date(result: Extraction) -> None:
        if result.effective_rule != "upon_signature":
            return
        blocks = [s for s in result.signatories if s.part == "agreement"]
        sides = {s.side for s in blocks if s.date}
        # Effective on the later signature, which is known only when both parties' dates are legible.
        if result.signed_date and {"lea", "ice"} <= sides:
            result.effective_date = result.signed_date
            ev = result.evidence_for("signed_date")[0].evidence
            result.add(
                "effective_date",
                result.signed_date,
                replace(ev, rule="effective.upon_signature+signed_date"),
            )
        elif result.signed_date:
            result.warnings.append("effective upon both signatures, but not every signature date is legible")


class ClauseListExtractor:
    """Obligations on the local agency and reimbursement terms, one entry per clause found."""

    kinds = AGREEMENTS
    fields = ("obligations", "reimbursement")

    def extract(self, view: DocumentView, result: Extraction) -> None:
        patterns = clauses()
        for section, target in (("obligations", result.obligations), ("reimbursement", result.reimbursement)):
            quoted: set[tuple[str, int, int, int]] = set()  # (code, page, start, end) of each sentence listed
            for pattern in patterns[section]:
                matches = find(view, pattern, fuzzy=True, across_pages=True)
                for match in matches if pattern.extra.get("each") else matches[:1]:
                    ev = match.sentence_evidence(view.sha256)
                    key = (str(pattern.extra.get("code", "")), ev.page, ev.start, ev.end)
                    if key in quoted:
                        continue
                    quoted.add(key)
                    entry: dict[str, Any] = {
                        "code": str(pattern.extra.get("code", "")),
                        "rule": pattern.id,
                        "label": pattern.label,
                        "text": ev.quote,  # the whole clause, verbatim (whitespace folded)
                        "page": ev.page,
                    }
                    if "payer" in pattern.extra:
                        entry["payer"] = str(pattern.extra["payer"])
                    target.append(entry)
                    result.add(f"{section}.{pattern.id}", entry["code"], ev)


class AddendaExtractor:
    """Addenda bound with the agreement: where, what they change, what they modify."""

    kinds = AGREEMENTS
    fields = ("addenda",)

    def extract(self, view: DocumentView, result: Extraction) -> None:
        patterns = {p.id: p for p in clauses()["addenda"]}
        for heading in find(view, patterns["addendum.heading"]):
            page = heading.page
            entry: dict[str, object] = {"page": page.number, "title": " ".join(heading.quote.split())}
            result.add("addenda.heading", entry["title"], heading.evidence(view.sha256))
            for key in ("addendum.modifies_effective", "addendum.added_language"):
                match = next((m for m in find(view, patterns[key], pages=[page])), None)
                if match is None:
                    continue
                if "date" in match.groups:
                    found = find_dates(match.groups["date"])
                    if found:
                        entry["modifies_moa_effective"] = found[0].value.isoformat()
                        result.add(
                            "addenda.modifies_moa_effective",
                            found[0].value,
                            match.evidence(view.sha256, group="date"),
                        )
                if "text" in match.groups:
                    entry["adds"] = " ".join(match.groups["text"].split())
                    entry["adds_to"] = " ".join(match.groups.get("where", "").split())
                    result.add("addenda.adds", entry["adds"], match.evidence(view.sha256, group="text"))
            dated = [
                s.date
                for s in result.signatories
                if s.part == "addendum" and s.page in (page.number, page.number + 1) and s.date
            ]
            entry["signed_date"] = max(dated).isoformat() if dated else None
            result.addenda.append(entry)


DEFAULT_EXTRACTORS: tuple[FieldExtractor, ...] = (
    AgencyExtractor(),
    IceOfficeExtractor(),  # before the state: the field office's area is one of its clues
    OriExtractor(),  # before the state: the NCIC code starts with it
    StateExtractor(),
    AgencyPlaceExtractor(),  # after the state: it reads a damaged place as one of the state's
    FunctionsExtractor(),
    SignaturesExtractor(),
    KnownSignersExtractor(),  # after the signatures: the side and name of a known ICE signer's block
    TermsExtractor(),
    ClauseListExtractor(),
    AddendaExtractor(),
)
