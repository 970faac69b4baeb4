"""An agreement as a sequence of clauses (sentences under section headings), each with its page span.

Running headers and footers, page numbers and revision footers are dropped; the agency's own name and
abbreviation become "the LEA" in each clause's comparison key, so agreements of one template line up.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from disentangle.extract._text import find_glyph_shift, fold, repair_shifted_glyphs
from disentangle.model import Document

_HEADING = re.compile(
    r"^\s*(?:(?:[IVX]{1,5}|[A-H])\s*[.)]\s+[A-Z][A-Z ,&/()'’\-]{3,}|APPENDIX\s*[A-D]?\b.*|ADDENDUM\b.*)$"
)
_FOOTER = re.compile(
    r"^\s*(?:\d{1,3}|Page\s+\d+(?:\s+of\s+\d+)?|R[ec]v(?:ised|\.)?\s*:?\s*[\d/Il ]{4,14}"
    r"|.*\bR[ec]vised\s+[\d/Il ]{4,12})\s*$"
)
_SENTENCE_END = re.compile(r"(?<=[.;:])\s+(?=[A-Z(•●▪o\"“])|\s*[•●▪]\s+")
_WORD = re.compile(r"[a-z0-9]+")
# A split after one of these is not a sentence end: "U.S. Immigration", "8 C.F.R. § 287.5", "Pub. L. No. 107".
_ABBREVIATION = re.compile(
    r"(?:\b(?:U\.\s?S|C\.\s?F\.\s?R|U\.\s?S\.\s?C|No|Nos|Pub|L|e\.g|i\.e|v|vs|St|Ste|Rd|Dr|Jr|Sr|Mr|Ms|Inc|Co)|\b[A-Z])\.$"
)


@dataclass(frozen=True, slots=True)
class Clause:
    """One sentence of an agreement: its section, text as printed (whitespace collapsed), key, and place."""

    index: int
    section: str
    text: str
    key: str  # lower case, punctuation dropped, agency name -> "lea"
    generic: str  # the text with the agency's own names as "[LEA]", for a template's wording
    page: int
    start: int
    end: int


def _repeated_lines(pages: list[str]) -> set[str]:
    """Lines (digits removed) that recur on at least a third of the pages: running headers and footers."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        seen = {re.sub(r"[\d\s]+", " ", line).strip() for line in page.split("\n") if line.strip()}
        counts.update(seen)
    return {line for line, n in counts.items() if n >= max(3, len(pages) // 3) and len(line) < 90}


def _name_pattern(name: str) -> str:
    words = fold(name).text.replace("'", "").split()
    return r"\b(?:the\s+)?" + r"\s*".join(re.escape(w) for w in words) + r"(?:s)?\b"


def generic_text(text: str, agency_names: tuple[str, ...] = ()) -> str:
    """The clause as printed, with the agency's own names replaced by "[LEA]"."""
    out = text
    for name in sorted({n for n in agency_names if n and len(n) >= 2}, key=len, reverse=True):
        words = [re.escape(w) for w in name.replace("’", "'").replace("'", "").split()]
        pattern = r"\b(?:[Tt]he\s+)?" + r"['’]?\s*".join(words) + r"(?:['’]?s)?\b"
        out = re.sub(pattern, "[LEA]", out)
    return out


def clause_key(text: str, agency_names: tuple[str, ...] = ()) -> str:
    """The comparison key of a clause: lower-case words, the agency's names replaced by "lea"."""
    folded = fold(text).text.replace("'", "")
    for name in sorted({n for n in agency_names if n and len(n) >= 2}, key=len, reverse=True):
        folded = re.sub(_name_pattern(name), " lea ", folded)
    folded = re.sub(r"\bthe\s+lea\b", "lea", folded)
    # OCR reads "m" as "rn" or "nn" ("tenns", "perfonn"): fold both ways the same in every document.
    folded = folded.replace("rn", "m").replace("nn", "m")
    return " ".join(_WORD.findall(folded))


def split_clauses(document: Document, agency_names: tuple[str, ...] = ()) -> list[Clause]:
    """The document's clauses in reading order; a sentence may run across a page break."""
    shift = find_glyph_shift([p.text for p in document.pages])
    pages = [repair_shifted_glyphs(p.text, shift) if shift else p.text for p in document.pages]
    repeated = _repeated_lines(pages)
    clauses: list[Clause] = []
    section = ""
    # The kept lines since the last heading: (page, start offset, text).
    buffer: list[tuple[int, int, str]] = []

    def flush() -> None:
        joined = ""
        where: list[tuple[int, int]] = []  # (page, offset) of each character of `joined`
        for page_number, start, line in buffer:
            if joined:
                if joined.endswith("-") and line[:1].islower():
                    joined = joined[:-1]
                    where.pop()
                else:
                    joined += " "
                    where.append((page_number, start))
            joined += line
            where.extend((page_number, start + i) for i in range(len(line)))
        buffer.clear()
        position = 0
        pieces: list[tuple[int, int]] = []
        for piece in _SENTENCE_END.split(joined):
            if not piece:
                continue
            piece_start = joined.find(piece, position)
            position = piece_start + len(piece)
            if pieces and _ABBREVIATION.search(joined[pieces[-1][0] : pieces[-1][1]]):
                pieces[-1] = (pieces[-1][0], position)
            else:
                pieces.append((piece_start, position))
        for piece_start, position in pieces:
            piece = joined[piece_start:position]
            cleaned = " ".join(piece.split())
            key = clause_key(cleaned, agency_names)
            if len(key) < 12:
                continue
            page, start = where[piece_start]
            last_page, last = where[position - 1]
            end = last + 1 if last_page == page else len(pages[page - 1])
            clauses.append(
                Clause(
                    len(clauses), section, cleaned, key, generic_text(cleaned, agency_names), page, start, end
                )
            )

    for page_number, text in enumerate(pages, start=1):
        offset = 0
        for line in text.split("\n"):
            stripped = line.strip()
            line_start = offset + (len(line) - len(line.lstrip()))
            offset += len(line) + 1
            if not stripped or _FOOTER.match(stripped):
                continue
            if re.sub(r"[\d\s]+", " ", stripped).strip() in repeated:
                continue
            if _HEADING.match(stripped) and len(stripped) < 90:
                flush()
                section = " ".join(stripped.split())
                continue
            # A bullet some fonts print as "x" or "o" ("x The power and authority ..."), and OCR reads as
            # "e", "«", "*", "®" or "©": one character for one, so the offsets hold, and the sentence
            # splitter sees a bullet.
            stripped = re.sub(r"^[xoe«»*°®©¢@\uf0b7\uf0a7](?=\s+[A-Z])", "•", stripped)
            buffer.append((page_number, line_start, stripped))
    flush()
    return clauses
