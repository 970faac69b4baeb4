"""Facts + knowledge -> scorecards, validity flags and conflicts, each with its evidence and rule.

Stages here are pure: they take plain inputs (policy texts, registry objects, extracted agreement facts)
and the knowledge in knowledge/scorecard, knowledge/statelaw and knowledge/authority, and never touch the
registry; workspace.py wires them.
"""

from disentangle.assess._authority import (
    AgreementFacts,
    AuthorityRule,
    AuthorityRules,
    Flag,
    FlagCode,
    JurisdictionInfo,
    Resolution,
    Severity,
    Signatory,
    TemplateDeviation,
    check_validity,
    find_authorization_clause,
    load_authority_rules,
)
from disentangle.assess._binding import (
    BindingAuthorities,
    BindingAuthority,
    BindingRule,
    BindingRules,
    Certainty,
    Government,
    load_binding_rules,
)
from disentangle.assess._conflicts import Conflict, Obligation, find_conflicts, load_conflict_rules
from disentangle.assess._policytext import Markup, PolicyText, guess_markup, word_view
from disentangle.assess._scorecard import (
    Comparison,
    EvidenceKind,
    Gap,
    GapAction,
    Origin,
    Override,
    Scorecard,
    ScorecardRow,
    ScoreEvidence,
    build_scorecard,
    compare,
    gaps,
    gaps_markdown,
)
from disentangle.assess._scoring import CriterionAnswer, Provision, find_provisions, score_policy_texts
from disentangle.assess._statelaw import LawEffect, StateLaw, inherited_law, load_state_laws
from disentangle.assess._toolkit import Answer, Criterion, Meaning, Toolkit, load_patterns, load_toolkit

__all__ = [
    "AgreementFacts",
    "Answer",
    "AuthorityRule",
    "AuthorityRules",
    "BindingAuthorities",
    "BindingAuthority",
    "BindingRule",
    "BindingRules",
    "Certainty",
    "Comparison",
    "Conflict",
    "Criterion",
    "CriterionAnswer",
    "EvidenceKind",
    "Flag",
    "FlagCode",
    "Gap",
    "GapAction",
    "Government",
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
    "build_scorecard",
    "check_validity",
    "compare",
    "find_authorization_clause",
    "find_conflicts",
    "find_provisions",
    "gaps",
    "gaps_markdown",
    "guess_markup",
    "inherited_law",
    "load_authority_rules",
    "load_binding_rules",
    "load_conflict_rules",
    "load_patterns",
    "load_state_laws",
    "load_toolkit",
    "score_policy_texts",
    "word_view",
]
