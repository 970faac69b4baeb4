"""Facts + knowledge -> scorecards, validity flags and conflicts, each with its evidence and rule.

Stages here are pure: they take plain inputs (policy texts, registry objects, extracted agreement facts)
and the knowledge in knowledge/scorecard, knowledge/statelaw and knowledge/authority, and never touch the
registry; workspace.py wires them.
"""

from disentangle.assess._authority import (
    AgreementFacts,
    AuthorityRule,
    AuthorityRules,
    FlagCode,
    JurisdictionInfo,
    Resolution,
    Severity,
    TemplateDeviation,
    check_validity,
    find_authorization_clause,
    find_authorization_evidence,
    load_authority_rules,
    signatory_from_mapping,
)
from disentangle.assess._conflicts import Conflict, Obligation, find_conflicts, load_conflict_rules
from disentangle.assess._policytext import Markup, PolicyText, guess_markup, word_view
from disentangle.assess._scorecard import (
    Comparison,
    EvidenceKind,
    Gap,
    Origin,
    Override,
    Scorecard,
    ScorecardRow,
    ScoreEvidence,
    build_scorecard,
    compare,
    gaps,
)
from disentangle.assess._scoring import CriterionAnswer, Provision, find_provisions, score_policy_texts
from disentangle.assess._statelaw import LawEffect, StateLaw, inherited_law, load_state_laws
from disentangle.assess._toolkit import Answer, Criterion, Meaning, Toolkit, load_patterns, load_toolkit
from disentangle.model import Signatory, ValidityFlag  # the stages' shared types (model/_judgement.py)

__all__ = [
    "AgreementFacts",
    "Answer",
    "AuthorityRule",
    "AuthorityRules",
    "Comparison",
    "Conflict",
    "Criterion",
    "CriterionAnswer",
    "EvidenceKind",
    "FlagCode",
    "Gap",
    "JurisdictionInfo",
    "LawEffect",
    "Markup",
    "Meaning",
    "Obligation",
    "Origin",
    "Override",
    "PolicyText",
    "Provision",
    "Resolution",
    "ScoreEvidence",
    "Scorecard",
    "ScorecardRow",
    "Severity",
    "Signatory",
    "StateLaw",
    "TemplateDeviation",
    "Toolkit",
    "ValidityFlag",
    "build_scorecard",
    "check_validity",
    "compare",
    "find_authorization_clause",
    "find_authorization_evidence",
    "find_conflicts",
    "find_provisions",
    "gaps",
    "guess_markup",
    "inherited_law",
    "load_authority_rules",
    "load_conflict_rules",
    "load_patterns",
    "load_state_laws",
    "load_toolkit",
    "score_policy_texts",
    "signatory_from_mapping",
    "word_view",
]
