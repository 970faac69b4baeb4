"""Domain types: jurisdictions, agencies, agreements, their events and the source of every fact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """How a jurisdiction sits in the tree of governments."""

    NATION = "nation"
    STATE = "state"  # a state, D.C. or a territory
    COUNTY = "county"  # county, parish, borough, census area, independent city
    PLACE = "place"  # incorporated place or census-designated place
    SUBDIVISION = "subdivision"  # county subdivision: town, township
    OTHER = "other"


class AgreementKind(StrEnum):
    """The instrument that ties a local agency to federal immigration enforcement."""

    JEM = "287g-jem"  # 287(g) Jail Enforcement Model
    WSO = "287g-wso"  # 287(g) Warrant Service Officer
    TFM = "287g-tfm"  # 287(g) Task Force Model
    JEM_TFM = "287g-hybrid"  # 287(g) jail and task force in one agreement (the "Hybrid" of 2007-2012 records)
    UNSPECIFIED = "287g"  # 287(g), the model not stated by the record (ICE's partner lists of 2007-2008)
    TFF_MOU = "tff-mou"  # Treasury Forfeiture Fund joint-operations MOU
    IGSA = "igsa"  # intergovernmental service agreement: jail bed space for ICE
    USMS_IGA = "usms-iga"  # U.S. Marshals intergovernmental agreement ICE rides on
    OTHER = "other"


AGREEMENT_KINDS = tuple(kind.value for kind in AgreementKind)


class AgreementStatus(StrEnum):
    """Where an agreement stands, as the sources show it. Never inferred from missing values."""

    ACTIVE = "active"  # on the latest published list that covers its kind
    REMOVED = "removed"  # was on ICE's list, left it, and the agency did not re-sign the same model
    SUPERSEDED = "superseded"  # the same agency re-signed the same model: a newer agreement replaces it
    PENDING = "pending"  # on ICE's pending list: requested, not yet signed
    LISTED = "listed"  # appears in a historical dataset (e.g. ICE facility list); current state unknown
    # Agreements found in documents (records requests), whose life the locality's own actions record:
    IN_FORCE = "in-force"  # signed, and no source shows it ended: in force as far as the records go
    TERMINATED = "terminated"  # ended under its own termination clause, on the date that clause gives
    VOID = "void"  # declared void or never validly executed by the body that could bind the agency
    EXPIRED = "expired"  # its own term ran out
    # Known only from records older than ICE's published lists in the registry (2007-2009 lists, ICE's
    # agreement archive), and on none of those lists: when and how it ended no bundled record says.
    HISTORICAL = "historical"


class EventKind(StrEnum):
    """Something that happened to an agreement, dated by the snapshot that first showed it."""

    ADDED = "added"  # first appearance on a published list
    REMOVED = "removed"  # left the list
    RESTORED = "restored"  # came back on the list after a removal, unchanged
    SUPERSEDED = "superseded"  # replaced by a re-signed agreement (on the old one)
    RESIGNED = "resigned"  # re-signed: this agreement replaces an older one (on the new one)
    RENAMED = "renamed"  # the agency's name on the list changed
    MODEL_CHANGED = "model_changed"  # the support type on the list changed
    SIGNED_CHANGED = "signed_changed"  # the signed date on the list was corrected
    ADDENDUM = "addendum"  # an addendum date appeared or changed
    PENDING = "pending"  # appeared on the pending list
    PENDING_CLEARED = "pending_cleared"  # left the pending list
    SIGNED = "signed"  # the signing date a record older than the bundled lists gives (DHS OIG, ICE's archive)
    LISTED = "listed"  # named as signed on a record older than the bundled lists, on that record's date
    # A locality's actions on an agreement and what became of it, each dated and with its evidence:
    FOUND = "found"  # read from a document (a records request's release, a file a person brought)
    DOCUMENT_FOUND = "document_found"  # a document of an agreement ICE lists was read and linked to it
    INVALIDITY_DRAFTED = "invalidity_drafted"  # a notice of invalidity was drafted
    CHALLENGED = "challenged"  # a notice of invalidity was sent
    TERMINATION_DRAFTED = "termination_drafted"  # a termination letter was drafted
    TERMINATION_SENT = "termination_sent"  # a termination letter was sent
    TERMINATED = "terminated"  # ended, on the date its own notice clause gives
    DECLARED_VOID = "declared_void"  # the body that could bind the agency declared it void or unexecuted
    EXPIRED = "expired"  # its term ran out
    RESOLUTION_DRAFTED = "resolution_drafted"  # a resolution ending it was drafted


class AgencyOrigin(StrEnum):
    """Where an agency's registry record comes from."""

    ICE_LIST = "ice-list"  # named on ICE's 287(g) lists (merged with its FBI roster row when the ORI agrees)
    FBI_ROSTER = "fbi-roster"  # only in the FBI's roster of law-enforcement agencies
    FACILITY_LIST = "facility-list"  # a detention facility on ICE's facility list


class FoundReview(StrEnum):
    """Whether an agreement read from a document may enter the registry. Human review is a state."""

    READ = "read"  # the reader is sure of its kind, agency and date: in the registry, open to review
    NEEDS_REVIEW = "needs-review"  # the reader is unsure (the reasons say why): kept out until confirmed
    CONFIRMED = "confirmed"  # a person confirmed it: in the registry
    REJECTED = "rejected"  # a person said it is not an agreement of that agency: kept out


# The actions a person records (the rest of EventKind is read from ICE's sheets), and the status each
# leaves an agreement found in records in.
ACTION_STATUS: dict[EventKind, AgreementStatus | None] = {
    EventKind.FOUND: AgreementStatus.IN_FORCE,
    EventKind.INVALIDITY_DRAFTED: None,
    EventKind.CHALLENGED: None,
    EventKind.TERMINATION_DRAFTED: None,
    EventKind.TERMINATION_SENT: None,
    EventKind.RESOLUTION_DRAFTED: None,
    EventKind.TERMINATED: AgreementStatus.TERMINATED,
    EventKind.DECLARED_VOID: AgreementStatus.VOID,
    EventKind.EXPIRED: AgreementStatus.EXPIRED,
    EventKind.SUPERSEDED: AgreementStatus.SUPERSEDED,
}


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact comes from: a dataset, its file, a row within it, and when it was published."""

    dataset: str
    file: str
    row: int | None = None
    retrieved: date | None = None
    url: str | None = None


@dataclass(slots=True)
class Jurisdiction:
    id: str  # Open Civic Data division id
    name: str
    level: Level
    state: str | None  # USPS code
    fips: str | None = None
    parent_id: str | None = None


@dataclass(slots=True)
class Agency:
    id: str
    name: str
    state: str
    type: str  # sheriff, police, corrections, state, marshal, school, other (see knowledge/agency_types.yaml)
    ori: str | None = None
    jurisdiction_id: str | None = None
    aliases: list[str] = field(default_factory=list)
    link_rule: str | None = None  # how the jurisdiction was found, for the link report


@dataclass(slots=True)
class Agreement:
    id: str
    kind: AgreementKind
    agency_id: str
    state: str
    agency_name: str  # as the source names the agency, latest spelling
    signed: date | None
    status: AgreementStatus
    first_seen: date | None = None
    last_seen: date | None = None
    addendum: date | None = None
    document_url: str | None = None
    county: str | None = None
    jurisdiction_id: str | None = None
    source: Source | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Event:
    agreement_id: str
    kind: EventKind
    date: date
    source: Source
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fact:
    """A dated program fact about a jurisdiction (Secure Communities, DHS designation, detainers declined)."""

    jurisdiction_id: str
    kind: str
    value: Any
    date: date | None
    source: Source
