"""extract_agreement: one document in, one Extraction out — classify, then run the field extractors."""

from __future__ import annotations

from disentangle.extract._classify import UNKNOWN, classify_kind, classify_template
from disentangle.extract._extraction import Extraction
from disentangle.extract._fields import DEFAULT_EXTRACTORS, FieldExtractor
from disentangle.extract._match import heading_evidence
from disentangle.extract._text import DocumentView
from disentangle.model import Document

MIN_READABILITY_WARNING = 0.5


def extract_agreement(
    document: Document, extractors: tuple[FieldExtractor, ...] = DEFAULT_EXTRACTORS
) -> Extraction:
    """Classify the agreement and extract its terms, every fact with its evidence. Pure: no I/O."""
    view = DocumentView(document)
    kind, confidence, kind_matches = classify_kind(view)
    result = Extraction(
        sha256=document.sha256,
        filename=document.filename,
        kind=kind,
        kind_confidence=confidence,
        readability=view.readability,
        document=document,
    )
    for match in kind_matches:
        result.add("kind", kind, match.evidence(view.sha256))
    # The title as printed: the heading block of the first title line that recognised the kind.
    titles = [m for m in kind_matches if m.pattern.id.endswith(".title") and not m.across]
    heading = heading_evidence(titles[0], view.sha256) if titles and kind != UNKNOWN else None
    if heading is not None:
        result.add("title", heading.quote, heading)
    if view.readability < MIN_READABILITY_WARNING:
        result.warnings.append(
            f"text is hard to read (readability {view.readability:.2f}): a broken font encoding or a poor "
            "scan; "
            "OCR the pages before trusting what is missing"
        )
    if view.glyph_shift:
        result.warnings.append(
            f"some text was in a glyph-shifted font (shift {view.glyph_shift}) and was decoded"
        )
    if kind == UNKNOWN:
        return result
    template, template_matches = classify_template(view, kind)
    result.template = template
    for match in template_matches:
        result.add("template", template.family if template else None, match.evidence(view.sha256))
    for extractor in extractors:
        if kind in extractor.kinds:
            extractor.extract(view, result)
    return result
