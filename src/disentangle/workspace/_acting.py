"""Acting: records requests tracked in the registry, follow-ups, appeals, calendars, termination letters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from disentangle import assess, extract, ingest, letters
from disentangle.errors import InputError, NotFoundError
from disentangle.model import Level
from disentangle.registry import tables as t
from disentangle.workspace._binding import BindingMixin
from disentangle.workspace._rows import (
    _iso,
)


class ActMixin(BindingMixin):
    # ------------------------------------------------------------------ act: records requests, letters

    def _addressee(self, agency: dict[str, Any]) -> letters.Addressee:
        return letters.Addressee(name=agency["name"], state=agency["state"], attention="Custodian of Records")

    def draft_request(
        self,
        agency: str,
        about: Sequence[str],
        requester: letters.Requester,
        *,
        today: date,
        custom: Sequence[str] = (),
        since: date | None = None,
    ) -> tuple[str, letters.Letter]:
        """Draft a state-specific public-records request to an agency and keep it, in status draft."""
        record = self._find_agency(agency)
        letter = self.preview_request(record["id"], about, requester, today=today, custom=custom, since=since)
        asks = [ask.text for topic in about if topic != "custom" for ask in letters.asks_for(topic)]
        asks.extend(custom)
        with self.store.transaction() as connection:
            number = (connection.scalar(select(func.count()).select_from(t.records_requests)) or 0) + 1
            request_id = f"req-{number:04d}"
            connection.execute(
                insert(t.records_requests).values(
                    id=request_id,
                    agency_id=record["id"],
                    agency_name=record["name"],
                    state=record["state"],
                    topics=list(about),
                    asks=asks,
                    requester=_requester_json(requester),
                    status=letters.RequestStatus.DRAFT.value,
                    letter=letter.markdown,
                    created_at=datetime.now(UTC),
                )
            )
            connection.execute(
                insert(t.request_events).values(
                    request_id=request_id, status="draft", on=today, note="drafted"
                )
            )
        return request_id, letter

    def draft_requests_bulk(
        self,
        about: Sequence[str],
        requester: letters.Requester,
        *,
        today: date,
        state: str | None = None,
        model: str | None = None,
    ) -> list[tuple[str, letters.Letter]]:
        """One request per agency with an active agreement matching the selection (state, model)."""
        agency_ids = sorted(
            {a["agency_id"] for a in self.agreements(state=state, model=model, status="active")}
        )
        if not agency_ids:
            raise InputError("no agency with an active agreement matches that selection")
        return [self.draft_request(agency_id, about, requester, today=today) for agency_id in agency_ids]

    def preview_request(
        self,
        agency: str,
        about: Sequence[str],
        requester: letters.Requester,
        *,
        today: date,
        custom: Sequence[str] = (),
        since: date | None = None,
    ) -> letters.Letter:
        """The request `draft_request` would keep, without keeping it (a wizard's preview, a download)."""
        record = self._find_agency(agency)
        law = letters.records_law(record["state"])
        return letters.draft_request(
            self._addressee(record), law, about, requester, today=today, custom=custom, since=since
        )

    def tracked_request(self, request_id: str) -> letters.TrackedRequest:
        with self.store.read() as connection:
            row = connection.execute(
                select(t.records_requests).where(t.records_requests.c.id == request_id)
            ).first()
            if row is None:
                raise NotFoundError(f"no records request {request_id!r}")
            events = connection.execute(
                select(t.request_events)
                .where(t.request_events.c.request_id == request_id)
                .order_by(t.request_events.c.id)
            ).all()
        history = tuple(
            letters.StatusChange(letters.RequestStatus(e.status), e.on, e.note or "", e.promised)
            for e in events
        )
        return letters.TrackedRequest(
            id=row.id,
            agency=letters.Addressee(name=row.agency_name, state=row.state, attention="Custodian of Records"),
            law=letters.records_law(row.state),
            asks=tuple(row.asks),
            history=history,
            received=row.received,
            reference=row.reference or "",
        )

    def advance_request(
        self, request_id: str, status: str, on: date, note: str = "", *, promised: date | None = None
    ) -> letters.TrackedRequest:
        """Record a dated status change; the law's transitions decide what is allowed."""
        request = self.tracked_request(request_id).advance(status, on, note, promised=promised)
        change = request.history[-1]
        with self.store.transaction() as connection:
            connection.execute(
                insert(t.request_events).values(
                    request_id=request_id,
                    status=change.status.value,
                    on=change.on,
                    note=note,
                    promised=promised,
                )
            )
            connection.execute(
                t.records_requests.update()
                .where(t.records_requests.c.id == request_id)
                .values(status=change.status.value)
            )
        return request

    def records_requests(self, *, today: date, overdue: bool = False) -> list[dict[str, Any]]:
        """Every tracked request with its status, due date and days overdue."""
        with self.store.read() as connection:
            ids = list(connection.scalars(select(t.records_requests.c.id).order_by(t.records_requests.c.id)))
        rows = []
        for request_id in ids:
            request = self.tracked_request(request_id)
            due = request.due()
            rows.append(
                {
                    "id": request.id,
                    "agency": request.agency.name,
                    "state": request.agency.state,
                    "law": request.law.citation,
                    "status": request.status.value,
                    "sent": _iso(request.sent_on),
                    "due": _iso(due),
                    "overdue_days": request.days_overdue(today),
                }
            )
        return [r for r in rows if r["overdue_days"] > 0] if overdue else rows

    def records_requests_for(self, agency_ids: Sequence[str], *, today: date) -> list[dict[str, Any]]:
        """The tracked requests to these agencies (a place's), as `records_requests` lists them."""
        with self.store.read() as connection:
            ids = set(
                connection.scalars(
                    select(t.records_requests.c.id).where(
                        t.records_requests.c.agency_id.in_(list(agency_ids))
                    )
                )
            )
        return [row for row in self.records_requests(today=today) if row["id"] in ids] if ids else []

    def request_requester(self, request_id: str) -> letters.Requester:
        """Who asked, as the request was drafted: the follow-up and the appeal are signed the same way."""
        with self.store.read() as connection:
            stored = connection.scalar(
                select(t.records_requests.c.requester).where(t.records_requests.c.id == request_id)
            )
        if stored is None:
            raise NotFoundError(f"no records request {request_id!r}")
        return letters.Requester(
            name=stored["name"],
            organization=stored.get("organization"),
            address=tuple(stored.get("address") or ()),
            email=stored.get("email"),
            phone=stored.get("phone"),
            residence=stored.get("residence"),
        )

    def request_letter(
        self, request_id: str, kind: str, requester: letters.Requester, *, today: date
    ) -> letters.Letter:
        """The follow-up or appeal letter for a tracked request, citing the statute and the dates."""
        request = self.tracked_request(request_id)
        if kind == "follow-up":
            return letters.draft_follow_up(request, requester, today=today)
        if kind == "appeal":
            return letters.draft_appeal(request, requester, today=today)
        raise InputError(f"unknown letter {kind!r}: use follow-up or appeal")

    def requests_calendar(self) -> str:
        """An ICS calendar of every tracked request's deadlines."""
        with self.store.read() as connection:
            ids = list(connection.scalars(select(t.records_requests.c.id).order_by(t.records_requests.c.id)))
        return letters.to_ics([self.tracked_request(i) for i in ids])

    def termination_letter(
        self, agreement_id: str, sender: letters.Signatory, *, today: date
    ) -> letters.Letter:
        """A letter ending an agreement in the way its own termination clause provides."""
        with self.store.read() as connection:
            row = connection.execute(select(t.agreements).where(t.agreements.c.id == agreement_id)).first()
        if row is None:
            raise NotFoundError(f"no agreement {agreement_id!r}; see `disentangle agreements`")
        facts = letters.AgreementFacts(
            kind=row.kind,
            agency=letters.Addressee(name=row.agency_name, state=row.state),
            signed=row.signed,
            source=row.document_url,
        )
        letter = letters.draft_termination(facts, sender=sender, today=today)
        authority = self.agency_binding(self._find_agency(row.agency_id), kind=row.kind)
        basis = (
            "; ".join(source.citation for source in authority.sources)
            if authority.status is assess.Certainty.KNOWN
            else "the usual rule for such agencies: check the charter or the state's law"
        )
        who = f"the letter binds the {row.agency_name} if signed for {authority.who} ({basis})"
        return replace(letter, notes=(*letter.notes, who))

    def attach_to_request(
        self, request_id: str, paths: Sequence[Path], *, today: date
    ) -> list[dict[str, Any]]:
        """Ingest what an agency released, link each document to the registry, file it under the request."""
        self.tracked_request(request_id)  # the request must exist
        results: list[ingest.IngestResult] = []
        summary = self.ingest(list(paths), progress=results.append)
        attached = []
        with self.store.transaction() as connection:
            for result in results:
                if result.error or result.sha256 is None:
                    continue
                extraction = extract.extract_agreement(self.document(result.sha256))
                match = self.link_extraction(extraction)
                record = {
                    "request_id": request_id,
                    "sha256": result.sha256,
                    "filename": result.filename or Path(result.path).name,
                    "attached_on": today,
                    "kind": extraction.kind,
                    "agreement_id": match["agreement_id"] if match else None,
                    "confidence": match["confidence"] if match else None,
                }
                exists = connection.execute(
                    select(t.request_documents.c.id).where(
                        t.request_documents.c.request_id == request_id,
                        t.request_documents.c.sha256 == result.sha256,
                    )
                ).first()
                if exists is None:
                    connection.execute(insert(t.request_documents).values(**record))
                attached.append(
                    {**record, "attached_on": today.isoformat(), "already_attached": exists is not None}
                )
        for path, reason in summary.failures:
            attached.append({"request_id": request_id, "filename": path, "error": reason})
        return attached

    def invalidity_notice(
        self, path: Path, sender: letters.Signatory, *, today: date, place: str | None = None
    ) -> letters.Letter:
        """A notice that an agreement was not validly made, from the flags `check_agreement` raises."""
        result = self.check_agreement(path, place=place)
        flags = [
            letters.ValidityFlag(
                rule=flag["rule"],
                label=flag["code"].replace("-", " ").capitalize(),
                explanation=flag["message"],
                authority=flag.get("citation") or "",
                evidence=tuple(
                    letters.Quote(text=quote, document=str(path)) for quote in flag.get("evidence") or []
                ),
            )
            for flag in result["flags"]
            if flag["severity"] == "error"
        ]
        if not flags:
            raise InputError("no validity flag of severity error: nothing to give notice of", path)
        agreement = letters.AgreementFacts(
            kind=result["kind"],
            agency=letters.Addressee(name=result["agency"]["name"], state=result["agency"]["state"]),
            source=str(path),
        )
        return letters.draft_invalidity(agreement, flags, sender=sender, today=today)

    def resolution(self, place: str, body: letters.GoverningBody, *, today: date) -> letters.Letter:
        """A draft resolution of a place's governing body: it ends the active agreements of the agencies the
        place binds, asks whoever binds the others to end theirs, and warns where the state's law penalizes
        a provision it adopts."""
        shown = self.show(place)
        if shown["type"] != "jurisdiction":
            raise InputError(f"{place!r} is an agency: a resolution is adopted by a council or board")
        jurisdiction = shown["jurisdiction"]
        agreements = [a for a in shown.get("agreements", []) if a["status"] == "active"]
        if not agreements:
            raise InputError(f"{place!r} has no active agreement in the registry to end")
        ended: list[letters.AgreementFacts] = []
        asked: list[letters.AskedToEnd] = []
        for a in agreements:
            facts = letters.AgreementFacts(
                kind=a["model"],
                agency=letters.Addressee(name=a["agency"], state=a["state"]),
                signed=date.fromisoformat(a["signed"]) if a["signed"] else None,
                source=a.get("document_url"),
            )
            authority = self.agency_binding(self._find_agency(a["agency_id"]), kind=a["model"])
            if authority.bound_by(jurisdiction["id"]):
                ended.append(facts)
                continue
            known = authority.status is assess.Certainty.KNOWN
            asked.append(
                letters.AskedToEnd(
                    facts, authority.who, "; ".join(s.citation for s in authority.sources) if known else ""
                )
            )
        limits = state_law_limits(jurisdiction["state"], jurisdiction["level"])
        return letters.draft_resolution(body, ended, today=today, asked=asked, limits=limits)


def state_law_limits(state: str | None, level: Level | str) -> list[letters.StateLawLimit]:
    """What the state's law forbids a local government there to adopt, as the resolution warns of it."""
    limits = []
    for law in assess.inherited_law(state, level):
        if law.direction != "requires":
            continue
        penalty = "; ".join(f"{p.provision}: {p.summary}" for p in law.penalties)
        for effect in law.effects:
            if effect.meaning is not assess.Meaning.CONTRADICTS:
                continue
            limits.append(
                letters.StateLawLimit(
                    criterion=effect.criterion,
                    aspect=effect.aspect,
                    law=law.label,
                    provision=effect.provision,
                    words=effect.quote or effect.summary or "",
                    quoted=bool(effect.quote),
                    penalty=penalty,
                    source=effect.source or law.url,
                )
            )
    return limits


def _requester_json(requester: letters.Requester) -> dict[str, Any]:
    return {
        "name": requester.name,
        "organization": requester.organization,
        "address": list(requester.address),
        "email": requester.email,
        "phone": requester.phone,
        "residence": requester.residence,
    }
