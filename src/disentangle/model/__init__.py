"""The domain types of Disentangle: places, agencies, agreements, their history and sources."""

from disentangle.model._documents import Document, Evidence, Finding, Page, PageMethod
from disentangle.model._types import (
    ACTION_STATUS,
    AGREEMENT_KINDS,
    Agency,
    AgencyOrigin,
    Agreement,
    AgreementKind,
    AgreementStatus,
    Event,
    EventKind,
    Fact,
    FoundReview,
    Jurisdiction,
    Level,
    Source,
)
from disentangle.model._values import STATES, normalize_state, state_by_name

__all__ = [
    "ACTION_STATUS",
    "AGREEMENT_KINDS",
    "STATES",
    "Agency",
    "AgencyOrigin",
    "Agreement",
    "AgreementKind",
    "AgreementStatus",
    "Document",
    "Event",
    "EventKind",
    "Evidence",
    "Fact",
    "Finding",
    "FoundReview",
    "Jurisdiction",
    "Level",
    "Page",
    "PageMethod",
    "Source",
    "normalize_state",
    "state_by_name",
]
