"""Acting: records requests tracked in the registry, follow-ups, appeals, calendars, termination letters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from disentangle import assess, extract, letters
from disentangle.errors import InputError, NotFoundError
from disentangle.model import EventKind, EventRecord, FoundAgreement, Level
from disentangle.registry import tables as t
from disentangle.workspace._accounts import HoldingKind
from disentangle.workspace._binding import BindingMixin
from disentangle.workspace._found import action_from_row, found_from_row, project_found
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
        self.require_editor()
        record = self._find_agency(agency)
        letter = self.preview_request(record["id"], about, requester, today=today, custom=custom, since=since)
        with self.store.transaction() as connection:
            (request_id,) = _keep_requests(connection, [(record, letter)], about, custom, requester, today)
        self.hold(HoldingKind.REQUEST, request_id)
        self.audit("request.draft", request_id, {"agency": record["id"]})
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
        self.require_visible(HoldingKind.REQUEST, request_id)
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
        self.require_editor()
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
        self.audit("request.status", request_id, {"status": change.status.value, "on": change.on.isoformat()})
        return request

    def records_requests(self, *, today: date, overdue: bool = False) -> list[dict[str, Any]]:
        """Every tracked request with its status, due date and days overdue."""
        with self.store.read() as connection:
            ids = list(connection.scalars(select(t.records_requests.c.id).order_by(t.records_requests.c.id)))
        seen = self.visible(HoldingKind.REQUEST, ids)
        ids = [i for i in ids if i in seen]
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
        self.require_visible(HoldingKind.REQUEST, request_id)
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
        seen = self.visible(HoldingKind.REQUEST, ids)
        ids = [i for i in ids if i in seen]
        return letters.to_ics([self.tracked_request(i) for i in ids])

    def termination_letter(
        self, agreement_id: str, sender: letters.Sender, *, today: date, record: bool = False
    ) -> letters.Letter:
        """A letter ending an agreement in the way its own termination clause provides: for an agreement
        read from a document (found in records, or a copy of an ICE-listed one), its own words with their
        page. `record` keeps the draft among the agreement's actions."""
        with self.store.read() as connection:
            row = connection.execute(select(t.agreements).where(t.agreements.c.id == agreement_id)).first()
        if row is None:
            raise NotFoundError(f"no agreement {agreement_id!r}; see `disentangle agreements`")
        found = self.found_of_agreement(row.id)
        title = clause = None
        if found is not None:
            title_clause, termination = found.clause("title"), found.clause("termination")
            title = title_clause.evidence.quote if title_clause else None
            if termination is not None:
                clause = letters.Quote(text=termination.evidence.quote, page=termination.evidence.page)
        facts = letters.AgreementFacts(
            kind=row.kind,
            agency=letters.Addressee(name=row.agency_name, state=row.state),
            signed=row.signed,
            title=title,
            termination_clause=clause,
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
        letter = replace(letter, notes=(*letter.notes, who))
        if record:
            evidence = {"letter": "termination", "document": found.sha256 if found else None}
            self.record_action(
                row.id, "termination_drafted", today, evidence=evidence, letter=letter.markdown
            )
        return letter

    # ------------------------------------------------------------------ the life of an agreement

    def record_action(
        self,
        agreement_id: str,
        kind: str | EventKind,
        on: date,
        *,
        note: str = "",
        evidence: dict[str, Any] | None = None,
        letter: str | None = None,
    ) -> list[EventRecord]:
        """Record a dated action on any registry agreement (found ones included), or what became of it;
        a termination letter sent also records the end the agreement's own notice clause gives. Returns
        the agreement's events."""
        self.require_editor()
        event = EventKind(kind.replace("-", "_") if isinstance(kind, str) else kind)
        record = self.agreement(agreement_id)["agreement"]
        rows = [
            {
                "agreement_id": record["id"],
                "kind": event.value,
                "on": on,
                "note": note,
                "evidence": evidence or {},
                "letter": letter,
                "created_at": datetime.now(UTC),
            }
        ]
        if event is EventKind.TERMINATION_SENT:
            ends = self._termination_date(record["id"], on)
            if ends is not None:
                day, clause = ends
                rows.append(
                    {
                        "agreement_id": record["id"],
                        "kind": EventKind.TERMINATED.value,
                        "on": day,
                        "note": "ends on the date its termination clause gives, counted from the letter sent "
                        f"{on.isoformat()}",
                        "evidence": {**(evidence or {}), "clause": clause},
                        "letter": None,
                        "created_at": datetime.now(UTC),
                    }
                )
        with self.store.transaction() as connection:
            connection.execute(insert(t.agreement_actions), rows)
            project_found(connection)
        self.audit("agreement.action", record["id"], {"kind": event.value, "on": on.isoformat()})
        return self.agreement(record["id"])["events"]

    def agreement_actions(self, agreement_id: str) -> list[dict[str, Any]]:
        a = t.agreement_actions
        with self.store.read() as connection:
            rows = connection.execute(
                select(a).where(a.c.agreement_id == agreement_id).order_by(a.c.on, a.c.id)
            ).all()
        return [
            {
                "kind": action.kind.value,
                "on": action.on.isoformat(),
                "note": action.note,
                "evidence": action.evidence,
                "letter": action.letter,
            }
            for action in (action_from_row(r) for r in rows)
        ]

    def found_of_agreement(self, agreement_id: str) -> FoundAgreement | None:
        """The first document a found agreement was read from (or a copy of an ICE-listed one)."""
        f = t.found_agreements
        with self.store.read() as connection:
            row = connection.execute(
                select(f).where(f.c.agreement_id == agreement_id).order_by(f.c.created_at).limit(1)
            ).first()
        return found_from_row(row) if row is not None else None

    def _termination_date(self, agreement_id: str, sent: date) -> tuple[date, dict[str, Any]] | None:
        """The day an agreement ends when the locality's notice is sent on `sent`: its termination
        clause's notice period (none: the day it is sent), from the document's reading."""
        found = self.found_of_agreement(agreement_id)
        if found is None:
            return None
        termination = found.termination
        clause = found.clause("termination")
        if not termination.get("by_lea") or clause is None:
            return None
        days = termination.get("lea_notice_days") or 0
        return sent + timedelta(days=int(days)), {
            "sha256": clause.evidence.sha256,
            "page": clause.evidence.page,
            "quote": clause.evidence.quote,
        }

    def invalidity_notice(
        self, path: Path, sender: letters.Sender, *, today: date, place: str | None = None
    ) -> letters.Letter:
        """A notice that an agreement was not validly made, from the flags `check_agreement` raises."""
        return self.invalidity_notice_for(self.read_agreement(path), sender, today=today, place=place)

    def invalidity_notice_of_agreement(
        self,
        agreement_id: str,
        sender: letters.Sender,
        *,
        today: date,
        place: str | None = None,
        record: bool = False,
    ) -> letters.Letter:
        """The notice of invalidity of a registry agreement read from a document (one found in records, or
        an ICE-listed one whose copy was read), judged under its agency's place unless another is given;
        `record` keeps the draft among the agreement's actions."""
        found = self.found_of_agreement(agreement_id)
        if found is None:
            raise InputError(
                f"no document of {agreement_id} has been read: give the agreement's file instead "
                "(`disentangle letter invalidity FILE`)"
            )
        if place is None and found.agency_id:
            agency = self._find_agency(found.agency_id)
            place = agency.get("jurisdiction_id") or None
        letter = self.invalidity_notice_for_document(found.sha256, sender, today=today, place=place)
        if record:
            evidence = {"letter": "invalidity", "document": found.sha256}
            self.record_action(
                agreement_id, "invalidity_drafted", today, evidence=evidence, letter=letter.markdown
            )
        return letter

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

    def resolution(
        self, place: str, body: letters.GoverningBody, *, today: date, record: bool = False
    ) -> letters.Letter:
        """A draft resolution of a place's governing body: it ends the agreements in force of the agencies
        the place binds (ICE-listed, and found in records with their own termination clause), asks whoever
        binds the others to end theirs, and warns where the state's law penalizes a provision it adopts.
        `record` keeps the draft among each agreement's actions."""
        shown = self.show(place)
        if shown["type"] != "jurisdiction":
            raise InputError(f"{place!r} is an agency: a resolution is adopted by a council or board")
        jurisdiction = shown["jurisdiction"]
        agreements = [a for a in shown.get("agreements", []) if a["status"] in ("active", "in-force")]
        if not agreements:
            raise InputError(f"{place!r} has no agreement in force in the registry to end")
        ended: list[letters.AgreementFacts] = []
        asked: list[letters.AskedToEnd] = []
        for a in agreements:
            found = self.found_of_agreement(a["id"])
            clause = found.clause("termination") if found else None
            facts = letters.AgreementFacts(
                kind=a["model"],
                agency=letters.Addressee(name=a["agency"], state=a["state"]),
                signed=date.fromisoformat(a["signed"]) if a["signed"] else None,
                termination_clause=letters.Quote(clause.evidence.quote, page=clause.evidence.page)
                if clause
                else None,
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
        letter = letters.draft_resolution(body, ended, today=today, asked=asked, limits=limits)
        if record:
            for a in agreements:
                evidence = {"letter": "resolution", "body": body.name}
                self.record_action(
                    a["id"], "resolution_drafted", today, evidence=evidence, letter=letter.markdown
                )
        return letter


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


def _keep_requests(
    connection: Connection,
    drafted: Sequence[tuple[dict[str, Any], letters.Letter]],
    about: Sequence[str],
    custom: Sequence[str],
    requester: letters.Requester,
    today: date,
    *,
    campaign_id: str | None = None,
) -> list[str]:
    """Keep drafted requests (agency record, letter) in status draft, numbered on from the last one, in
    the caller's transaction: a campaign's requests are kept all together or not at all."""
    asks = [ask.text for topic in about if topic != "custom" for ask in letters.asks_for(topic)]
    asks.extend(custom)
    numbers = [
        int(value[4:])
        for value in connection.scalars(select(t.records_requests.c.id))
        if value.startswith("req-") and value[4:].isdigit()
    ]
    number = max(numbers, default=0)
    now = datetime.now(UTC)
    ids, request_rows, event_rows = [], [], []
    for record, letter in drafted:
        number += 1
        request_id = f"req-{number:04d}"
        ids.append(request_id)
        request_rows.append(
            {
                "id": request_id,
                "agency_id": record["id"],
                "agency_name": record["name"],
                "state": record["state"],
                "topics": list(about),
                "asks": asks,
                "requester": _requester_json(requester),
                "status": letters.RequestStatus.DRAFT.value,
                "letter": letter.markdown,
                "created_at": now,
                "campaign_id": campaign_id,
            }
        )
        event_rows.append({"request_id": request_id, "status": "draft", "on": today, "note": "drafted"})
    if request_rows:
        connection.execute(insert(t.records_requests), request_rows)
        connection.execute(insert(t.request_events), event_rows)
    return ids


def _requester_json(requester: letters.Requester) -> dict[str, Any]:
    return {
        "name": requester.name,
        "organization": requester.organization,
        "address": list(requester.address),
        "email": requester.email,
        "phone": requester.phone,
        "residence": requester.residence,
    }
