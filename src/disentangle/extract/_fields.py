"""Field extractors: small classes that each fill some fields of an Extraction, with evidence."""

from __future__ import annotations

import re
from datetime import date
from typing import Protocol

from disentangle.extract._dates import find_dates
from disentangle.extract._extraction import Extraction
from disentangle.extract._knowledge import clauses, functions, parties
from disentangle.extract._match import Match, find
from disentangle.extract._signatures import read_signatures
from disentangle.extract._text import DocumentView
from disentangle.model import Evidence, normalize_state

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
    return text.strip(" ,.'’\"`;:")


def _plausible_agency(name: str) -> bool:
    words = name.split()
    letters = sum(c.isalpha() for c in name)
    return 2 <= len(words) <= 14 and letters >= 0.75 * len(name.replace(" ", "")) and name[:1].isupper()


class AgencyExtractor:
    """The local agency as the agreement names it, its abbreviation, and the ", AL" after the name."""

    kinds = AGREEMENTS
    fields = ("agency.name", "agency.abbreviation")

    def extract(self, view: DocumentView, result: Extraction) -> None:
        config = parties()
        candidates: list[tuple[str, Match, str | None]] = []
        for pattern in config.agency:
            for match in find(view, pattern):
                name = _clean_name(match.groups.get("name", ""))
                if not _plausible_agency(name) or config.ice_markers.search(name):
                    continue
                candidates.append((name, match, match.groups.get("abbr")))
        if not candidates:
            return
        worded = [c for c in candidates if config.agency_words.search(c[0])]
        name, match, _ = (worded or candidates)[0]
        start, end = match.spans["name"]
        # The evidence starts at the name itself, past a leading "the" or form underscores.
        lead = match.page.text[start:end].find(name.split()[0])
        start += max(lead, 0)
        quote = " ".join(match.page.text[start:end].split())
        result.agency_name = name
        result.add(
            "agency.name",
            name,
            Evidence(
                view.sha256, match.page.number, start, end, quote, match.pattern.id, match.pattern.confidence
            ),
        )
        for _, abbr_match, abbr in candidates:
            if not abbr:
                continue
            if normalize_state(abbr) and len(abbr) == 2:
                # "the Jefferson County Sheriff's Office (FL)": a state, not an abbreviation.
                if abbr_match is match:
                    result.agency_name = f"{name} ({abbr})"
            elif abbr.upper() not in ("LEA", "ICE", "DHS") and result.agency_abbreviation is None:
                result.agency_abbreviation = abbr
                result.add("agency.abbreviation", abbr, abbr_match.evidence(view.sha256, group="abbr"))


class StateExtractor:
    """The agency's state: the first evidence in knowledge order that names a state, votes across places."""

    kinds = AGREEMENTS
    fields = ("agency.state",)

    def extract(self, view: DocumentView, result: Extraction) -> None:
        config = parties()
        votes: dict[str, float] = {}
        evidence: dict[str, Evidence] = {}

        def vote(state_text: str, ev: Evidence) -> None:
            code = normalize_state(state_text)
            if code is None:
                return
            # Each rule counts once per state: repeated running headers are one piece of evidence.
            key = f"{code}|{ev.rule}"
            if key in evidence:
                return
            evidence[key] = ev
            votes[code] = votes.get(code, 0.0) + ev.confidence

        name_facts = result.evidence_for("agency.name")
        if result.agency_name and name_facts:
            name_ev = name_facts[0].evidence
            suffix = config.state_suffix.regex.search(result.agency_name)
            if suffix and normalize_state(suffix["state"]):
                vote(
                    suffix["state"],
                    Evidence(
                        view.sha256,
                        name_ev.page,
                        name_ev.start,
                        name_ev.end,
                        name_ev.quote,
                        config.state_suffix.id,
                        config.state_suffix.confidence,
                    ),
                )
                result.agency_name = result.agency_name[: suffix.start()].rstrip(" ,")
        for pattern in config.state:
            if pattern.id == "state.agency_named_for_state":
                if result.agency_name and name_facts:
                    m = pattern.regex.search(result.agency_name)
                    if m:
                        ev = name_facts[0].evidence
                        vote(
                            m["state"],
                            Evidence(
                                view.sha256,
                                ev.page,
                                ev.start,
                                ev.end,
                                ev.quote,
                                pattern.id,
                                pattern.confidence,
                            ),
                        )
                continue
            for match in find(view, pattern):
                state_text = match.groups.get("state")
                if state_text:
                    vote(state_text, match.evidence(view.sha256))
        if not votes:
            return
        best = max(votes, key=lambda code: votes[code])
        result.state = best
        strongest = max(
            (ev for key, ev in evidence.items() if key.startswith(best + "|")), key=lambda e: e.confidence
        )
        result.add("agency.state", best, strongest)


class OriExtractor:
    """The agency's ORI (NCIC code), which TFF MOUs print."""

    kinds = AGREEMENTS
    fields = ("agency.ori",)

    def extract(self, view: DocumentView, result: Extraction) -> None:
        for pattern in parties().ori:
            match = next(iter(find(view, pattern)), None)
            if match:
                result.ori = match.groups["ori"].replace(" ", "")
                result.add("agency.ori", result.ori, match.evidence(view.sha256, group="ori"))
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
                    value = f"SAC {office}"
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
        for index, read in enumerate(read_signatures(view)):
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


class TermsExtractor:
    """Effective date and term, termination and suspension terms."""

    kinds = AGREEMENTS
    fields = ("effective_date", "term", "termination", "suspension", "review_years")

    def extract(self, view: DocumentView, result: Extraction) -> None:
        patterns = clauses()
        for section in ("effective", "term", "termination", "suspension"):
            for pattern in patterns[section]:
                matches = find(view, pattern, fuzzy=True)
                if not matches:
                    continue
                match = matches[0]
                values = _sets(match)
                ev = match.evidence(view.sha256)
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
                Evidence(
                    ev.sha256,
                    ev.page,
                    ev.start,
                    ev.end,
                    ev.quote,
                    "effective.upon_signature+signed_date",
                    ev.confidence,
                ),
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
            for pattern in patterns[section]:
                matches = find(view, pattern, fuzzy=True)
                if not matches:
                    continue
                match = matches[0]
                entry = {
                    "code": str(pattern.extra.get("code", "")),
                    "rule": pattern.id,
                    "label": pattern.label,
                }
                if "payer" in pattern.extra:
                    entry["payer"] = str(pattern.extra["payer"])
                target.append(entry)
                result.add(f"{section}.{pattern.id}", entry["code"], match.evidence(view.sha256))


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
    StateExtractor(),
    OriExtractor(),
    IceOfficeExtractor(),
    FunctionsExtractor(),
    SignaturesExtractor(),
    TermsExtractor(),
    ClauseListExtractor(),
    AddendaExtractor(),
)
