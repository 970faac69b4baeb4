"""The domain types of Disentangle: places, agencies, agreements, their history and sources."""

from disentangle.model._documents import Document, Evidence, Finding, Page, PageMethod
from disentangle.model._judgement import (
    SIDES,
    Signatory,
    ValidityFlag,
    evidence_from_json,
    evidence_json,
    signatory_side,
)
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
    "SIDES",
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
    "Signatory",
    "Source",
    "ValidityFlag",
    "evidence_from_json",
    "evidence_json",
    "normalize_state",
    "signatory_side",
    "state_by_name",
]
