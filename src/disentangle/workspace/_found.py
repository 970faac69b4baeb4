"""Agreements found in documents and the actions a locality takes on agreements, projected into the
registry's agreements and events: the person's work is kept in its own tables, which an import never
clears, and the registry shows it anew after every import and every change."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, select

from disentangle.model import (
    AgreementAction,
    AgreementStatus,
    EventKind,
    FoundAgreement,
    FoundClause,
    FoundReview,
    FoundSignatory,
    status_after,
)
from disentangle.registry import tables as t
from disentangle.workspace._rows import _bulk

FOUND_PREFIX = "found-"


def found_to_row(found: FoundAgreement, *, created_at: Any) -> dict[str, Any]:
    return {
        "sha256": found.sha256,
        "agreement_id": found.agreement_id,
        "listed": found.listed,
        "request_id": found.request_id,
        "agency_id": found.agency_id,
        "ori": found.ori,
        "state": found.state,
        "agency_name": found.agency_name,
        "kind": found.kind,
        "signed": found.signed,
        "review": found.review.value,
        "reasons": list(found.reasons),
        "details": {
            "title": found.title,
            "effective": found.effective.isoformat() if found.effective else None,
            "term": found.term,
            "agency_rule": found.agency_rule,
            "signatories": [
                {
                    "side": s.side,
                    "name": s.name,
                    "title": s.title,
                    "date": s.date.isoformat() if s.date else None,
                    "date_note": s.date_note,
                }
                for s in found.signatories
            ],
            "clauses": [c.to_json() for c in found.clauses],
            "termination": found.termination,
        },
        "created_at": created_at,
    }


def found_from_row(row: Any) -> FoundAgreement:
    details = row.details or {}
    return FoundAgreement(
        sha256=row.sha256,
        agreement_id=row.agreement_id,
        listed=bool(row.listed),
        kind=row.kind,
        agency_id=row.agency_id,
        agency_name=row.agency_name,
        ori=row.ori,
        state=row.state,
        signed=row.signed,
        review=FoundReview(row.review),
        reasons=list(row.reasons or []),
        request_id=row.request_id,
        title=details.get("title"),
        effective=date.fromisoformat(details["effective"]) if details.get("effective") else None,
        term=details.get("term"),
        signatories=[
            FoundSignatory(
                side=s["side"],
                name=s.get("name"),
                title=s.get("title"),
                date=date.fromisoformat(s["date"]) if s.get("date") else None,
                date_note=s.get("date_note"),
            )
            for s in details.get("signatories") or []
        ],
        clauses=[FoundClause.from_json(c) for c in details.get("clauses") or []],
        agency_rule=details.get("agency_rule") or "",
        termination=dict(details.get("termination") or {}),
    )


def action_from_row(row: Any) -> AgreementAction:
    return AgreementAction(
        agreement_id=row.agreement_id,
        kind=EventKind(row.kind),
        on=row.on,
        note=row.note or "",
        evidence=dict(row.evidence or {}),
        letter=row.letter,
    )


def project_found(connection: Connection) -> dict[str, int]:
    """Rebuild the registry's view of found agreements and of every recorded action, in the caller's
    transaction: agreements found in records (those in the registry: read surely or confirmed), and one
    event per action and per document found, on found and ICE-listed agreements alike."""
    a, e, g = t.agreements, t.events, t.agencies
    connection.execute(delete(e).where(e.c.source_id.is_(None)))
    connection.execute(delete(a).where(a.c.id.like(f"{FOUND_PREFIX}%")))
    rows = connection.execute(select(t.found_agreements).order_by(t.found_agreements.c.created_at)).all()
    # On a shared server, an organisation's document enters the shared registry only once it is public.
    held = connection.execute(
        select(t.holdings.c.key, t.holdings.c.access).where(t.holdings.c.kind == "document")
    ).all()
    private = {r.key for r in held} - {r.key for r in held if r.access == "public"}
    rows = [row for row in rows if row.sha256 not in private]
    actions = [action_from_row(r) for r in connection.execute(select(t.agreement_actions))]
    agencies = {
        r.id: r
        for r in connection.execute(
            select(g.c.id, g.c.name, g.c.state, g.c.jurisdiction_id, g.c.county).where(
                g.c.id.in_({r.agency_id for r in rows if r.agency_id})
            )
        )
    }
    known = set(connection.scalars(select(a.c.id).where(a.c.id.in_({r.agreement_id for r in rows}))))
    by_agreement: dict[str, list[Any]] = {}
    for row in rows:
        if row.review in (FoundReview.READ.value, FoundReview.CONFIRMED.value):
            by_agreement.setdefault(row.agreement_id, []).append(row)
    agreement_rows, event_rows = [], []
    projected: set[str] = set()
    for agreement_id, copies in by_agreement.items():
        first = copies[0]
        if first.listed:
            if agreement_id not in known:
                continue  # the ICE-listed agreement left the registry: nothing to attach the copy to
            for copy in copies:
                event_rows.append(
                    _event(agreement_id, EventKind.DOCUMENT_FOUND, _found_on(copy), _found_detail(copy))
                )
            projected.add(agreement_id)
            continue
        agency = agencies.get(first.agency_id)
        if agency is None:
            continue  # its agency left the registry (a roster change): a person must tie it again
        mine = [x for x in actions if x.agreement_id == agreement_id]
        status = status_after(mine)
        found = found_from_row(first)
        agreement_rows.append(
            {
                "id": agreement_id,
                "kind": first.kind,
                "agency_id": agency.id,
                "state": agency.state,
                "agency_name": agency.name,
                "signed": first.signed,
                "status": status.value,
                "first_seen": _found_on(first),
                "last_seen": None,
                "addendum": None,
                "document_url": None,
                "county": agency.county,
                "jurisdiction_id": agency.jurisdiction_id,
                "source_id": None,
                "source_row": None,
                "details": {
                    "found": True,
                    "documents": [c.sha256 for c in copies],
                    "request_ids": sorted({c.request_id for c in copies if c.request_id}),
                    "review": first.review,
                    "title": found.title,
                    "name_in_document": first.agency_name,
                    # the fields a person entered (field -> value, who, when): pages mark them as such
                    "entered_by_person": (first.details or {}).get("person_entries") or {},
                },
            }
        )
        for copy in copies:
            event_rows.append(_event(agreement_id, EventKind.FOUND, _found_on(copy), _found_detail(copy)))
        projected.add(agreement_id)
    for action in actions:
        if action.agreement_id in projected or action.agreement_id in known:
            event_rows.append(
                _event(
                    action.agreement_id,
                    action.kind,
                    action.on,
                    {"note": action.note, "evidence": action.evidence, "letter": bool(action.letter)},
                )
            )
    _bulk(connection, a, agreement_rows)
    _bulk(connection, e, event_rows)
    return {"found_agreements": len(agreement_rows), "action_events": len(event_rows)}


def _found_on(row: Any) -> date:
    created = row.created_at
    return created.date() if hasattr(created, "date") else date.today()


def _found_detail(row: Any) -> dict[str, Any]:
    return {
        "document": row.sha256,
        "request_id": row.request_id,
        "review": row.review,
        "title": (row.details or {}).get("title"),
    }


def _event(agreement_id: str, kind: EventKind, on: date, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "agreement_id": agreement_id,
        "kind": kind.value,
        "date": on,
        "source_id": None,
        "source_row": None,
        "detail": detail,
    }


# The statuses only agreements found in records have (ICE-listed ones may also be superseded).
FOUND_STATUSES = (
    AgreementStatus.IN_FORCE.value,
    AgreementStatus.TERMINATED.value,
    AgreementStatus.VOID.value,
    AgreementStatus.EXPIRED.value,
)
