"""The whole sentence a match stands in, on its page: what an obligation or a term quotes, verbatim."""

from __future__ import annotations

import re

MAX_SENTENCE = 1200  # characters either way: a clause longer than this is quoted from where it was found

# A period that does not end a sentence: "U.S. Immigration", "31 U.S.C. 9703", "SEBASTIAN POLICE DEPT. shall",
# "Phillip L. Sanchez", "No. 12".
_ABBREVIATION = re.compile(
    r"(?:\b(?:U\.\s?S|C\.\s?F\.\s?R|U\.\s?S\.\s?C|No|Nos|Pub|e\.g|i\.e|v|vs|St|Ste|Rd|Dr|Jr|Sr|Mr|Ms|Mrs|Inc|Co|"
    r"Dept|DEPT|Dep|Corp|Gov|Govt|Sec|Ft|Mt)|\b[A-Z])$"
)
_END = re.compile(r"[.!?][\"”’')\]]*(?=\s|$)")
_BLANK = re.compile(r"\n[ \t\f]*\n")
# A heading line right above the sentence ("A. Assignment of Officer(s)", "V. TERMS, CONDITIONS, AND
# PROCEDURES").
_HEADING = re.compile(r"^\s*(?:[IVX]{1,5}|[A-Z]|\d{1,2})\s*[.)]\s+\S[^.]*$")


def _is_heading(line: str) -> bool:
    """A short lettered or numbered heading, or a line in capitals ("EFFECTIVE DATE AND TERMINATION OF THIS
    MOA"), which no sentence of the agreement's body is."""
    words = line.split()
    if len(words) >= 2 and not any(c.islower() for c in line) and sum(c.isalpha() for c in line) >= 8:
        return True
    return len(line.strip()) < 60 and bool(_HEADING.match(line))


def _ends_sentence(text: str, dot: int) -> bool:
    """The period at `dot` ends a sentence (it is not an abbreviation's or an initial's)."""
    return not _ABBREVIATION.search(text[max(0, dot - 12) : dot])


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence of `text` (a page) that holds text[start:end]: back to the previous sentence
    end, blank line or heading line, forward to the next sentence end or blank line; never past the page."""
    floor = max(0, start - MAX_SENTENCE)
    begin = floor
    for m in _END.finditer(text, floor, start):
        if _ends_sentence(text, m.start()):
            begin = m.end()
    for m in _BLANK.finditer(text, begin, start):
        begin = m.end()
    # A heading line between the sentence end and the sentence ("A. Assignment of Officer(s)") is not part of
    # it, nor is the heading a match starts on ("B. Reimbursable Expenses" / "ICE will repay ...").
    base = line_start = begin
    for newline in [base + m.start() for m in re.finditer("\n", text[base:start])]:
        if _is_heading(text[line_start:newline]):
            begin = newline + 1
        line_start = newline + 1
    while True:
        while begin < end and text[begin].isspace():
            begin += 1
        line_end = text.find("\n", begin, end)
        if line_end < 0 or not _is_heading(text[begin:line_end]):
            break
        begin = line_end + 1
    ceiling = min(len(text), end + MAX_SENTENCE)
    stop = ceiling
    for m in _END.finditer(text, end, ceiling):
        if _ends_sentence(text, m.start()):
            stop = m.end()
            break
    blank = _BLANK.search(text, end, stop)
    if blank:
        stop = blank.start()
    while stop > end and text[stop - 1].isspace():
        stop -= 1
    return begin, max(stop, end)
