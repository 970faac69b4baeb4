"""Alerts: who follows a place or a campaign, and the dated items a digest or a feed carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class AlertScope(StrEnum):
    """What a subscription or a feed follows."""

    STATE = "state"  # every agency of a state
    COUNTY = "county"  # the agencies counted in a county (the registry's one county rule)
    PLACE = "place"  # the agencies of a city, town or township
    AGENCY = "agency"  # one agency
    CAMPAIGN = "campaign"  # a discovery campaign: its requests, their deadlines and what they brought out


class SubscriptionStatus(StrEnum):
    """Whether a subscription still receives digests."""

    ACTIVE = "active"  # digests are sent
    ENDED = "ended"  # the person unsubscribed; what it was sent is kept


class AlertKind(StrEnum):
    """What an item of a digest or a feed tells."""

    LIST_CHANGE = "list-change"  # an agreement added to, removed from or changed on ICE's published list
    FOUND = "found"  # an agreement found in records, or a copy of one read from records
    ACTION = "action"  # what a locality did about an agreement (termination sent, terminated...)
    REQUEST_DUE = "request-due"  # a records request whose answer is due within the coming days
    REQUEST_OVERDUE = "request-overdue"  # a records request past its due date, still unanswered
    SHEET_IMPORTED = "sheet-imported"  # a sheet of ICE's dropped into the watched folder was imported


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    email: str
    scope: AlertScope
    scope_id: str  # OCD id, agency id or campaign id
    label: str  # as the pages name it: "Galveston County, TX"
    status: SubscriptionStatus
    created_at: datetime
    language: str = "en"  # the language of its digests: en or es

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "scope": self.scope.value,
            "scope_id": self.scope_id,
            "label": self.label,
            "language": self.language,
            "status": self.status.value,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class AlertItem:
    """One thing that happened, as a digest line and a feed entry. `key` is stable across registry
    rebuilds (it names the agreement, the kind and the date, never a row id), so what was sent is known."""

    key: str
    kind: AlertKind
    date: date
    title: str  # one line: "Added to ICE's list: Galveston County Sheriff's Office (TX), TFM"
    text: str  # the full sentence, with its public source
    path: str  # the page it links to, relative to the site: "/agency/tx-galveston-county-sheriff-s-office"
    agency_id: str | None = None
    request_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind.value,
            "date": self.date.isoformat(),
            "title": self.title,
            "text": self.text,
            "path": self.path,
            "agency_id": self.agency_id,
            "request_id": self.request_id,
        }
