"""Document -> facts with evidence: classify the agreement, extract its terms, align it to its template.

    extract_agreement(document)        -> Extraction (kind, template, agency, signatories, terms, facts)
    compare_to_template(x)             -> Comparison (clauses added, removed, changed; JSON, HTML, Markdown)
    near_duplicate_clusters(texts)     -> groups of agreements that share a text (MinHash/LSH)

Patterns, clause names, function codes and template families are data in knowledge/agreements/.
"""

from disentangle.extract._clauses import Clause, split_clauses
from disentangle.extract._extraction import Extraction, NoticeTerm, TemplateInfo, Termination
from disentangle.extract._fields import DEFAULT_EXTRACTORS, FieldExtractor
from disentangle.extract._knowledge import clauses as _clauses
from disentangle.extract._knowledge import functions as _functions
from disentangle.extract._knowledge import validate_all as validate_knowledge
from disentangle.extract._minhash import MinHasher, clusters, estimate, shingles
from disentangle.extract._pipeline import extract_agreement
from disentangle.extract._template import (
    ClauseDiff,
    Comparison,
    Template,
    available_templates,
    build_template,
    compare_to_template,
    load_template,
)
from disentangle.extract._text import readability, repair_shifted_glyphs
from disentangle.model import Signatory  # one Signatory for every stage (model/_judgement.py)


def function_labels() -> dict[str, str]:
    """The delegated-function codes and their readable labels (knowledge/agreements/functions.yaml)."""
    return {rule.code: rule.label for rule in _functions()}


def function_translations() -> dict[str, dict[str, dict[str, str]]]:
    """Each delegated-function code's translations: {"es": {"label": ..., "description": ...}}."""
    return {rule.code: rule.translations for rule in _functions()}


def clause_translations() -> dict[str, dict[str, dict[str, str]]]:
    """Each clause pattern's translations by language, keyed by its id (an obligation's `rule`)."""
    return {pattern.id: pattern.translations for section in _clauses().values() for pattern in section}


def near_duplicate_clusters(texts: dict[str, str], threshold: float = 0.6) -> list[list[str]]:
    """Groups of the given documents (id -> text) whose 5-word shingles overlap at Jaccard >= threshold."""
    hasher = MinHasher.create()
    signatures = {key: hasher.signature(shingles(text.lower().split())) for key, text in texts.items()}
    return clusters(signatures, threshold)


__all__ = [
    "DEFAULT_EXTRACTORS",
    "Clause",
    "ClauseDiff",
    "Comparison",
    "Extraction",
    "FieldExtractor",
    "MinHasher",
    "NoticeTerm",
    "Signatory",
    "Template",
    "TemplateInfo",
    "Termination",
    "available_templates",
    "build_template",
    "clause_translations",
    "clusters",
    "compare_to_template",
    "estimate",
    "extract_agreement",
    "function_labels",
    "function_translations",
    "load_template",
    "near_duplicate_clusters",
    "readability",
    "repair_shifted_glyphs",
    "shingles",
    "split_clauses",
    "validate_knowledge",
]
