"""What of a place's, agency's or agreement's record may leave the workspace: its public records only.

Published: everything read from a public source (ICE's lists, the FBI roster, Census ids, program data),
and what was read from documents a person made public. Kept back: agreements found only in private
documents, the records requests that brought documents out (they name the requester), a person's own
actions and letters (recorded in this workspace, with no public source), and a person's review entries.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

DETENTION_KINDS = ("igsa", "usms-iga")
IN_FORCE = "in-force"


def public_agreement_row(agreement: dict[str, Any], documents: Collection[str]) -> dict[str, Any]:
    """An agreement row without what the workspace keeps: a found agreement keeps only its public
    documents and never the records requests behind them."""
    found = agreement.get("found")
    if not found:
        return agreement
    # Emptied, not dropped: a page shows an empty list where the workspace would show its own.
    entered = found.get("entered_by_person") or {}
    kept = {**found, "request_ids": [], "entered_by_person": {}}
    for own in ("reviewed_by", "person_entries", "signatories"):  # signatories may carry a person's values
        kept.pop(own, None)
    if entered:  # a person typed some of its values: publish none of what the reading gave it
        for read in ("title", "name_in_document"):
            kept.pop(read, None)
    kept["documents"] = [d for d in found.get("documents") or [] if d in documents]
    signed = None if entered else agreement.get("signed")
    return {**agreement, "signed": signed, "found": kept}


def public_event(event: dict[str, Any], documents: Collection[str]) -> dict[str, Any] | None:
    """An event with a public source, or resting on a public document; None for the workspace's own
    (a person's action, a letter drafted, a request made)."""
    detail = dict(event.get("detail") or {})
    document = detail.get("document")
    if not event.get("source") and document not in documents:
        return None
    for private in ("letter", "review", "request", "request_id", "note", "by"):
        detail.pop(private, None)
    if document is not None and document not in documents:
        detail.pop("document", None)
    return {**event, "detail": detail}


def public_events(
    events: list[dict[str, Any]], private: Collection[str], documents: Collection[str]
) -> list[dict[str, Any]]:
    kept = []
    for event in events:
        if event.get("agreement_id") in private:
            continue
        shown = public_event(event, documents)
        if shown is not None:
            kept.append(shown)
    return kept


def public_shown(
    result: dict[str, Any], private: Collection[str], documents: Collection[str]
) -> dict[str, Any]:
    """Workspace.show's answer for a place as a static site may print it."""
    if result.get("type") != "jurisdiction":
        return result
    agreements = [public_agreement_row(a, documents) for a in result["agreements"] if a["id"] not in private]
    agencies = [
        {**g, "agreements": [a for a in g.get("agreements") or [] if a.get("id") not in private]}
        for g in result["agencies"]
    ]
    found_in_force = [a for a in agreements if a["status"] == IN_FORCE]
    summary = {
        **result["summary"],
        "in_force_found": len(found_in_force),
        "detention_in_force": sum(1 for a in found_in_force if a["model"] in DETENTION_KINDS),
    }
    return {
        **result,
        "agreements": agreements,
        "agencies": agencies,
        "summary": summary,
        "events": public_events(result["events"], private, documents),
    }


def public_history(
    result: dict[str, Any], private: Collection[str], documents: Collection[str]
) -> dict[str, Any]:
    """Workspace.history's answer for an agency as a static site may print it."""
    return {
        **result,
        "agreements": [
            public_agreement_row(a, documents) for a in result["agreements"] if a["id"] not in private
        ],
        "events": public_events(result["events"], private, documents),
    }


def public_agreement(result: dict[str, Any], documents: Collection[str]) -> dict[str, Any]:
    """Workspace.agreement's answer (of an agreement that is itself public) as a static site may print it."""
    return {
        **result,
        "agreement": public_agreement_row(result["agreement"], documents),
        "events": public_events(result["events"], (), documents),
    }
