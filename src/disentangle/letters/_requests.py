"""Public-records requests: what to ask each agency for, under its state's law, with the due date."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.letters._deadlines import Deadline, deadline_for, milestone_dates
from disentangle.letters._laws import DayUnit, RecordsLaw, records_law
from disentangle.letters._letters import (
    Addressee,
    Letter,
    LetterKind,
    Requester,
    long_date,
    render_template,
)

ASKS_FILE = "letters/asks.yaml"
# The topics of knowledge/letters/asks.yaml, and "custom" (the records the person names).
TOPICS = (*load_yaml(ASKS_FILE)["topics"], "custom")


@dataclass(frozen=True, slots=True)
class Ask:
    """One kind of record a request asks for, with where the need for it is documented."""

    topic: str
    text: str
    source: str


@cache
def _asks_doc() -> dict[str, Any]:
    doc = load_yaml(ASKS_FILE)
    path = KNOWLEDGE_DIR / ASKS_FILE
    if not isinstance(doc, dict) or not isinstance(doc.get("topics"), dict):
        raise KnowledgeError(f"{path}: expected a mapping 'topics'")
    sources = doc.get("sources") or {}
    for topic, entry in doc["topics"].items():
        for ask in entry.get("asks", []):
            for key in str(ask.get("source", "")).split(";"):
                if key.strip() not in sources:
                    raise KnowledgeError(f"{path}: {topic}: ask cites unknown source {key.strip()!r}")
    for key in ("formats", "fee_waiver", "rolling"):
        if not (doc.get("paragraphs") or {}).get(key):
            raise KnowledgeError(f"{path}: paragraphs.{key} is missing")
    return doc


def asks_for(topic: str) -> list[Ask]:
    """The standard asks of one topic (agreements, detainers, policies, costs), from knowledge/letters."""
    doc = _asks_doc()
    if topic not in doc["topics"]:
        raise InputError(f"unknown request topic {topic!r}; expected one of {', '.join(TOPICS)}")
    return [
        Ask(topic, " ".join(str(a["text"]).split()), str(a["source"])) for a in doc["topics"][topic]["asks"]
    ]


def ask_sources() -> dict[str, str]:
    """The documents the asks cite, by key."""
    return {key: " ".join(str(text).split()) for key, text in _asks_doc()["sources"].items()}


def _period(unit: DayUnit, days: int) -> str:
    kind = "business day" if unit is DayUnit.BUSINESS else "calendar day"
    return f"{days} {kind}{'s' if days != 1 else ''}"


def deadline_context(law: RecordsLaw, deadline: Deadline) -> dict[str, str]:
    """The deadline as the templates word it: kind fixed / none / unknown and its parts."""
    first = law.deadline
    if first is None:
        return {"kind": "unknown"}
    if deadline.date is None or first.days is None:
        return {"kind": "none", "standard": first.standard or "promptly", "source": first.source}
    return {
        "kind": "fixed",
        "action": first.action,
        "period": _period(first.unit, first.days),
        "source": deadline.source,
        "due": long_date(deadline.date),
    }


def recipient_lines(agency: Addressee) -> list[str]:
    """The address block of a letter to an agency: attention line, name, address and email if known."""
    lines = [agency.attention] if agency.attention else []
    lines.append(agency.name)
    lines.extend(agency.address)
    if agency.email:
        lines.append(agency.email)
    return lines


def signature_lines(requester: Requester) -> list[str]:
    lines = [requester.name]
    if requester.organization:
        lines.append(requester.organization)
    lines.extend(requester.address)
    lines.extend(item for item in (requester.email, requester.phone) if item)
    return lines


def _topics(about: str | Sequence[str]) -> list[str]:
    topics = [about] if isinstance(about, str) else list(about)
    if not topics:
        raise InputError("a records request needs at least one topic")
    unknown = [topic for topic in topics if topic not in TOPICS]
    if unknown:
        raise InputError(f"unknown request topic {unknown[0]!r}; expected one of {', '.join(TOPICS)}")
    return topics


def draft_request(
    agency: Addressee,
    state_law: RecordsLaw,
    about: str | Sequence[str],
    requester: Requester,
    *,
    today: date,
    custom: Sequence[str] = (),
    since: date | None = None,
) -> Letter:
    """A public-records request to `agency` under `state_law` for the records of the topics in `about`.

    `about` is one or more of agreements, detainers, policies, costs, custom; "custom" asks for the
    texts in `custom`. The due date assumes the request is received on `today`.
    """
    topics = _topics(about)
    asks = [ask.text for topic in topics if topic != "custom" for ask in asks_for(topic)]
    if "custom" in topics:
        extra = [" ".join(text.split()) for text in custom if text.strip()]
        if not extra:
            raise InputError("topic 'custom' needs the records to ask for (custom=[...])")
        asks.extend(extra)
    elif custom:
        raise InputError("custom asks were given but 'custom' is not among the topics")
    deadline = deadline_for(state_law, today)
    paragraphs = _asks_doc()["paragraphs"]
    fee_source = ""
    if state_law.fees is not None and "waive" in state_law.fees.text.lower():
        fee_source = state_law.fees.source
    notes = []
    limit = state_law.requesters
    if limit is not None and limit.residency_limit and not requester.residence:
        notes.append(
            f"The {state_law.label} gives the right to request records to {limit.text} ({limit.source}); "
            "say in Requester.residence how the requester qualifies, or ask through someone who does."
        )
    if state_law.deadline is None:
        notes.append(
            f"The {state_law.label} response deadline is not known to Disentangle: check the statute."
        )
    labels = [str(_asks_doc()["topics"][t]["label"]).lower() for t in topics if t != "custom"]
    subject = "; ".join(labels) if labels else "records described below"
    context = {
        "date": long_date(today),
        "law": state_law,
        "recipient_lines": recipient_lines(agency),
        "salutation": agency.attention or "Custodian of Records",
        "agency_name": agency.name,
        "subject": subject[0].upper() + subject[1:],
        "residence": requester.residence or "",
        "period": f" created, signed or in effect at any time since {long_date(since)}" if since else "",
        "asks": asks,
        "formats": " ".join(str(paragraphs["formats"]).split()),
        "fee_waiver": " ".join(str(paragraphs["fee_waiver"]).split()),
        "fee_source": fee_source,
        "rolling": " ".join(str(paragraphs["rolling"]).split()),
        "deadline": deadline_context(state_law, deadline),
        "milestones": [
            {
                "action": clock.action,
                "period": _period(clock.unit, clock.days or 0),
                "source": clock.source,
                "due": long_date(day),
            }
            for clock, day in milestone_dates(state_law, today)
        ],
        "signature_lines": signature_lines(requester),
    }
    return Letter(
        kind=LetterKind.REQUEST,
        title=f"{state_law.label} request to {agency.name}",
        agency=agency.name,
        state=agency.state,
        date=today,
        markdown=render_template("request", context),
        citation=state_law.citation,
        due=deadline.date,
        notes=tuple(notes),
        sources=tuple(s for s in (state_law.citation, deadline.source, fee_source) if s),
    )


def draft_bulk(
    agencies: Iterable[Addressee],
    about: str | Sequence[str],
    requester: Requester,
    *,
    today: date,
    custom: Sequence[str] = (),
    since: date | None = None,
) -> list[Letter]:
    """One request per agency, each under its own state's law (records_law(agency.state))."""
    return [
        draft_request(
            agency, records_law(agency.state), about, requester, today=today, custom=custom, since=since
        )
        for agency in agencies
    ]
