"""The domain types of Disentangle: places, agencies, agreements, their history and sources."""

from disentangle.model._documents import Document, Evidence, Finding, Page, PageMethod
from disentangle.model._types import (
    AGREEMENT_KINDS,
    Agency,
    Agreement,
    AgreementKind,
    AgreementStatus,
    Event,
    EventKind,
    Fact,
    Jurisdiction,
    Level,
    Source,
)
from disentangle.model._values import STATES, normalize_state, state_by_name

__all__ = [
    "AGREEMENT_KINDS",
    "STATES",
    "Agency",
    "Agreement",
    "AgreementKind",
    "AgreementStatus",
    "Document",
    "Event",
    "EventKind",
    "Evidence",
    "Fact",
    "Finding",
    "Jurisdiction",
    "Level",
    "Page",
    "PageMethod",
    "Source",
    "normalize_state",
    "state_by_name",
]
