"""What the Workspace facade returns about the registry, as declared shapes (JSON-ready, as the CLI, the API
and the pages show them): the keys each result always has, and the types of their values."""

from typing import Any, NotRequired, TypedDict


class SourceRef(TypedDict):
    """A fact's public source as cited: the record's label, publisher, address, row and date."""

    label: str
    publisher: str
    url: str | None
    row: int | None
    dated: str | None
    copy: str | None


class AgreementRecord(TypedDict):
    """One registry agreement: on ICE's lists, found in records ("found-…"), or known from records older
    than ICE's lists ("hist-…")."""

    id: str
    state: str
    agency: str
    model: str
    signed: str | None
    status: str
    first_seen: str | None
    last_seen: str | None
    jurisdiction: str | None
    ori: str | None
    agency_id: str
    county: str | None
    document_url: str | None
    found: dict[str, Any] | None  # its documents, the request that brought it out, its review
    early: dict[str, Any] | None  # as printed in the older records
    source: NotRequired[SourceRef | None]
    agency_type: NotRequired[str | None]


class EventRecord(TypedDict):
    """A dated event of an agreement, with its source (None for what a person recorded: its detail holds
    the evidence)."""

    agreement_id: str
    kind: str
    date: str | None
    detail: dict[str, Any]
    source: SourceRef | None


class ChangeRecord(EventRecord):
    """An event on ICE's lists with the agreement it changed."""

    agency: str
    state: str
    model: str
    agency_id: str


class SearchHit(TypedDict):
    """A jurisdiction or an agency found by name, a name people use, id, FIPS or ORI."""

    match: str  # "jurisdiction" | "agency"
    id: str
    name: str
    state: str | None
    level: NotRequired[str]  # a jurisdiction's
    fips: NotRequired[str | None]
    type: NotRequired[str | None]  # an agency's
    ori: NotRequired[str | None]
    jurisdiction_id: NotRequired[str | None]
    county_id: NotRequired[str | None]
    origin: NotRequired[str | None]


class AgreementView(TypedDict):
    """One agreement with its agency and every dated event."""

    agreement: AgreementRecord
    agency: dict[str, Any]
    events: list[EventRecord]


class AgencyHistory(TypedDict):
    """An agency's agreements and every dated event; `history_begins` is the date ICE's lists here start."""

    history_begins: str | None
    agency: dict[str, Any]
    agreements: list[AgreementRecord]
    events: list[EventRecord]
