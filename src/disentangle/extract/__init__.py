"""Document -> facts with evidence: classify the agreement, extract its terms, align it to its template.

    extract_agreement(document)        -> Extraction (kind, template, agency, signatories, terms, facts)
    compare_to_template(x)             -> Comparison (clauses added, removed, changed; JSON, HTML, Markdown)

Patterns, clause names, function codes and template families are data in knowledge/agreements/.
"""

from disentangle.extract._extraction import Extraction, Signatory, TemplateInfo, Termination
from disentangle.extract._fields import DEFAULT_EXTRACTORS, FieldExtractor
from disentangle.extract._knowledge import validate_all as validate_knowledge
from disentangle.extract._pipeline import extract_agreement
from disentangle.extract._text import readability, repair_shifted_glyphs

__all__ = [
    "DEFAULT_EXTRACTORS",
    "Extraction",
    "FieldExtractor",
    "Signatory",
    "TemplateInfo",
    "Termination",
    "extract_agreement",
    "readability",
    "repair_shifted_glyphs",
    "validate_knowledge",
]
