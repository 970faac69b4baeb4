"""Judging a place: the policy scorecard with its evidence, and an agreement's validity and conflicts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from disentangle import assess, extract
from disentangle.assess import Scorecard
from disentangle.errors import InputError
from disentangle.model import (
    Agreement,
    Fact,
    Jurisdiction,
    Level,
    Source,
)
from disentangle.registry import tables as t
from disentangle.sources.agencies import classify_agency
from disentangle.workspace._queries import QueryMixin
from disentangle.workspace._reading import ReadMixin
from disentangle.workspace._rows import (
    _agreement_model,
    _source_model,
)


class JudgeMixin(QueryMixin, ReadMixin):
    # ------------------------------------------------------------------ judge: scorecard, validity

    def assess(
        self,
        place: str,
        *,
        policy_files: Sequence[Path] = (),
        overrides: Sequence[dict[str, Any]] = (),
    ) -> assess.Scorecard:
        """The Local Progress scorecard for a jurisdiction, from registry facts, inherited state law
        and the policy texts given, each answer with its evidence."""
        return self.assess_shown(self.show(place), policy_files=policy_files, overrides=overrides)

    def assess_shown(
        self,
        shown: dict[str, Any],
        *,
        policy_files: Sequence[Path] = (),
        overrides: Sequence[dict[str, Any]] = (),
    ) -> Scorecard:
        """`assess` of what `show` already returned for a place (a page that has it reads it only once)."""
        if shown["type"] != "jurisdiction":
            name = shown["agency"]["name"]
            raise InputError(f"{name!r} is an agency; assess its jurisdiction (its county, city or state)")
        row = shown["jurisdiction"]
        jurisdiction = Jurisdiction(
            row["id"], row["name"], Level(row["level"]), row["state"], row["fips"], row["parent_id"]
        )
        registry_facts: list[Agreement | Fact] = [_agreement_model(a) for a in shown["agreements"]]
        registry_facts.extend(
            Fact(
                f["jurisdiction_id"],
                f["kind"],
                f["value"],
                date.fromisoformat(f["date"]) if f["date"] else None,
                _source_model(f["source"]) or Source("no source recorded", ""),
            )
            for f in shown["facts"]
        )
        texts = [_policy_text(path) for path in policy_files]
        answers = assess.score_policy_texts(texts) if texts else []
        inherited = assess.inherited_law(jurisdiction.state, jurisdiction.level)
        return assess.build_scorecard(jurisdiction, registry_facts, inherited, answers, overrides)

    def check_agreement(
        self, path: Path, *, place: str | None = None, policy_files: Sequence[Path] = ()
    ) -> dict[str, Any]:
        """Is this agreement valid, and does it conflict with local policy or inherited state law?

        Reads the file, links it to the registry, judges its signatures against the authority rules of
        the jurisdiction it binds, and sets its obligations against the policy texts and state law."""
        judged = self.check_extraction(
            self.read_agreement(path), place=place, policy_files=policy_files, path=path
        )
        return {"file": str(path), **judged}

    def check_extraction(
        self,
        extraction: extract.Extraction,
        *,
        place: str | None = None,
        policy_files: Sequence[Path] = (),
        path: Path | None = None,
    ) -> dict[str, Any]:
        """check_agreement for an agreement already read (a stored document's Extraction): the same
        judgement, without the file. `path` only names the file in the error raised when the agency or
        state cannot be read."""
        match = self.link_extraction(extraction)
        agency: dict[str, Any] | None = None
        status = None
        if match:
            with self.store.read() as connection:
                row = connection.execute(
                    select(t.agencies)
                    .join(t.agreements, t.agreements.c.agency_id == t.agencies.c.id)
                    .where(t.agreements.c.id == match["agreement_id"])
                ).first()
            agency = dict(row._mapping) if row else None
            status = match["status"]
        if agency is None:
            agency = self._agency_of_document(extraction)
        given = self._judged_place(place) if place else None
        state = extraction.state or (agency["state"] if agency else None) or (given.state if given else None)
        name = extraction.agency_name or (agency["name"] if agency else None)
        if not state or (not name and given is None):
            raise InputError(
                "the agency or state the agreement binds could not be read; give --place",
                path if path is not None else extraction.filename,
            )
        jurisdiction = given or self._judged_jurisdiction(agency, state)
        # The agency the document does not name is judged as the place's: its name in the tool's words.
        name = name or f"the local agency of {jurisdiction.name}"
        agency_type = agency["type"] if agency else classify_agency(name, state).id
        document = extraction.document
        facts = assess.AgreementFacts(
            kind=extraction.kind,
            agency_name=name,
            agency_type=agency_type,
            state=state,
            signatories=tuple(extraction.signatories),  # with the page words each was read from
            authorization_clause=assess.find_authorization_clause(document.text) if document else None,
            authorization_evidence=assess.find_authorization_evidence(document) if document else None,
            status=status,
            template_deviations=_deviations(extraction),
            document=extraction.sha256,
        )
        flags = assess.check_validity(facts, jurisdiction, as_of=date.today())
        texts = [_policy_text(p) for p in policy_files]
        conflicts = assess.find_conflicts(
            obligations_of(extraction), texts, assess.inherited_law(state, jurisdiction.level)
        )
        return {
            "sha256": extraction.sha256,
            "kind": extraction.kind,
            "agency": {
                "name": name,
                "state": state,
                "type": agency_type,
                "read": bool(extraction.agency_name),
            },
            "jurisdiction": {
                "name": jurisdiction.name,
                "id": jurisdiction.id,
                "level": jurisdiction.level,
                "given": given is not None,
            },
            "registry_match": match,
            "flags": [flag.to_dict() for flag in flags],
            "conflicts": [conflict.to_dict() for conflict in conflicts],
        }

    def _agency_of_document(self, extraction: extract.Extraction) -> dict[str, Any] | None:
        """The registry agency a document ICE does not list binds: the one its found agreement was tied to
        (by NCIC code, name or the records request it answers), else the agency of its NCIC code."""
        a, f = t.agencies, t.found_agreements
        with self.store.read() as connection:
            row = connection.execute(
                select(a).join(f, f.c.agency_id == a.c.id).where(f.c.sha256 == extraction.sha256).limit(1)
            ).first()
            if row is None and extraction.ori:
                rows = connection.execute(select(a).where(a.c.ori == extraction.ori.upper())).all()
                row = rows[0] if len(rows) == 1 else None
        return dict(row._mapping) if row is not None else None

    def judge_stored(self, sha256: str, *, place: str | None = None) -> dict[str, Any]:
        """check_extraction of a stored document, for the place a person names (not stored: a question)."""
        return self.check_extraction(extract.extract_agreement(self.document(sha256)), place=place)

    def _judged_place(self, place: str) -> Any:
        shown = self.show(place)
        if shown["type"] != "jurisdiction":
            raise InputError(f"{place!r} is an agency; give the jurisdiction it belongs to")
        return _jurisdiction_info(shown["jurisdiction"])

    def _judged_jurisdiction(self, agency: dict[str, Any] | None, state: str) -> Any:
        row = None
        if agency and agency.get("jurisdiction_id"):
            row = self._find_jurisdiction(agency["jurisdiction_id"])
        if row is None:
            row = self._find_jurisdiction(f"ocd-division/country:us/state:{state.lower()}")
        if row is None:
            return assess.JurisdictionInfo(name=state, state=state, level="state")
        return _jurisdiction_info(row)


def obligations_of(extraction: extract.Extraction) -> list[assess.Obligation]:
    """The agreement's obligations as the conflict rules take them: each whole clause as printed, its page,
    and the agreement's kind (a TFF MOU's assignment clause conflicts where a 287(g) clause may not)."""
    return [
        assess.Obligation(
            text=finding.evidence.quote,
            agreement_kind=extraction.kind,
            agreement=extraction.sha256,
            clause=finding.field.removeprefix("obligations."),
            page=finding.evidence.page,
        )
        for finding in extraction.findings
        if finding.field.startswith("obligations.")
    ]


def _policy_text(path: Path) -> assess.PolicyText:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the policy text: {exc.strerror}", path) from exc
    if not raw.strip():
        raise InputError("the policy text is empty", path)
    if b"\x00" in raw[:4096]:
        raise InputError(
            "not a text file (binary content); give the text of the policy (.txt, .md, .xml)", path
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return assess.PolicyText(name=path.name, text=text, source=str(path))


def _jurisdiction_info(row: dict[str, Any]) -> assess.JurisdictionInfo:
    # Census names carry the kind of place ("Pasadena city"); rules name the place itself
    name = re.sub(r" (city|town|village|borough|township|CDP|municipality)$", "", row["name"])
    return assess.JurisdictionInfo(name=name, state=row["state"], level=row["level"], id=row["id"])


def _deviations(extraction: extract.Extraction) -> tuple[assess.TemplateDeviation, ...]:
    """Clauses of the family's standard text that this agreement changes or leaves out. Added text is
    not counted: in the corpus it is signature blocks and local names, not negotiated terms."""
    comparison = extract.compare_to_template(extraction)
    return tuple(
        assess.TemplateDeviation(
            clause=f"{diff.section} ({diff.kind})",
            expected=diff.template_text or "",
            found=diff.document_text or "(left out)",
        )
        for diff in comparison.deviations()
        if diff.kind in ("changed", "removed")
    )
