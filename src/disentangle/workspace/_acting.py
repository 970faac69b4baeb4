"""Acting: records requests tracked in the registry, follow-ups, appeals, calendars, termination letters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from disentangle import extract, ingest, letters
from disentangle.errors import InputError, NotFoundError
from disentangle.registry import tables as t
from disentangle.workspace._judging import JudgeMixin
from disentangle.workspace._rows import (
    _iso,
)


class ActMixin(JudgeMixin):
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

    def termination_letter(self, agreement_id: str, sender: letters.Sender, *, today: date) -> letters.Letter:
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
        return letters.draft_termination(facts, sender=sender, today=today)

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
        self, path: Path, sender: letters.Sender, *, today: date, place: str | None = None
    ) -> letters.Letter:
        """A notice that an agreement was not validly made, from the flags `check_agreement` raises."""
        return self.invalidity_notice_for(self.read_agreement(path), sender, today=today, place=place)

    def invalidity_notice_for_document(
        self, sha256: str, sender: letters.Sender, *, today: date, place: str | None = None
    ) -> letters.Letter:
        """The notice of invalidity for a stored document (the web wizard's): read from the store, not a
        file."""
        extraction = extract.extract_agreement(self.document(sha256))
        return self.invalidity_notice_for(extraction, sender, today=today, place=place)

    def invalidity_notice_for(
        self,
        extraction: extract.Extraction,
        sender: letters.Sender,
        *,
        today: date,
        place: str | None = None,
    ) -> letters.Letter:
        """The notice of invalidity for an agreement already read (a stored document's): each error flag with
        its rule and the agreement's own words, page by page; its termination clause quoted from its page."""
        judged = self.check_extraction(extraction, place=place)
        flags = [
            letters.ValidityFlag.from_dict(flag) for flag in judged["flags"] if flag["severity"] == "error"
        ]
        if not flags:
            raise InputError(
                "no validity flag of severity error: nothing to give notice of", extraction.filename
            )
        clause = next(
            (f.evidence for f in extraction.findings if f.field.split(".")[0] in ("term", "termination")),
            None,
        )
        agreement = letters.AgreementFacts(
            kind=judged["kind"],
            agency=letters.Addressee(name=judged["agency"]["name"], state=judged["agency"]["state"]),
            signed=extraction.signed_date,
            termination_clause=letters.Quote(clause.quote, page=clause.page) if clause else None,
        )
        return letters.draft_invalidity(agreement, flags, sender=sender, today=today)

    def resolution(self, place: str, body: letters.GoverningBody, *, today: date) -> letters.Letter:
        """A draft resolution ending every active agreement in a place and adopting the checklist."""
        shown = self.show(place)
        agreements = [a for a in shown.get("agreements", []) if a["status"] == "active"]
        if not agreements:
            raise InputError(f"{place!r} has no active agreement in the registry to end")
        facts = [
            letters.AgreementFacts(
                kind=a["model"],
                agency=letters.Addressee(name=a["agency"], state=a["state"]),
                signed=date.fromisoformat(a["signed"]) if a["signed"] else None,
                source=a.get("document_url"),
            )
            for a in agreements
        ]
        return letters.draft_resolution(body, facts, today=today)


def _requester_json(requester: letters.Requester) -> dict[str, Any]:
    return {
        "name": requester.name,
        "organization": requester.organization,
        "address": list(requester.address),
        "email": requester.email,
        "phone": requester.phone,
        "residence": requester.residence,
    }
