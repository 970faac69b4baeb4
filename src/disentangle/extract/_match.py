"""Find knowledge patterns in a document's pages, exactly or (for damaged text) fuzzily, as evidence."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from disentangle.extract._knowledge import Pattern
from disentangle.extract._sentences import sentence_span
from disentangle.extract._text import DocumentView, PageView, fold
from disentangle.model import Evidence

FUZZY_CUTOFF = 85.0  # partial-ratio score a phrase needs on OCR-damaged text ...
SHORT_PHRASE = 40  # ... and a phrase shorter than this many characters, whose few letters match too easily:
SHORT_CUTOFF = 93.0


@dataclass(frozen=True, slots=True)
class Match:
    pattern: Pattern
    page: PageView
    start: int
    end: int
    groups: dict[str, str]  # named groups that matched
    spans: dict[str, tuple[int, int]]
    score: float = 100.0  # 100 for a regex match; the fuzzy score otherwise
    # A clause read across a page break: the groups read on the next page, and the words as read across it.
    group_pages: dict[str, PageView] = field(default_factory=dict)
    across: str | None = None

    @property
    def quote(self) -> str:
        return self.page.text[self.start : self.end]

    @property
    def fuzzy(self) -> bool:
        return self.score < 100.0

    @property
    def _rule_suffix(self) -> str:
        return ("~fuzzy" if self.fuzzy else "") + ("~across-pages" if self.across else "")

    def evidence(self, sha256: str, *, group: str | None = None, confidence: float | None = None) -> Evidence:
        start, end = self.spans[group] if group else (self.start, self.end)
        page = self.group_pages.get(group, self.page) if group else self.page
        base = self.pattern.confidence if confidence is None else confidence
        quote = " ".join(page.text[start:end].split())
        if self.across is not None and group is None:
            quote = self.across  # the span is the part on this page; the quote reads on past the break
        return Evidence(
            sha256=sha256,
            page=page.number,
            start=start,
            end=end,
            quote=quote,
            rule=self.pattern.id + self._rule_suffix,
            confidence=round(base * self.score / 100.0, 3),
        )

    def sentence_evidence(self, sha256: str) -> Evidence:
        """The evidence widened to the whole sentence the match stands in, on the match's page: a clause is
        quoted whole ("To the maximum extent possible, the X shall assign dedicated officers to ..."), not as
        the few words that recognised it."""
        evidence = self.evidence(sha256)
        start, end = sentence_span(self.page.text, self.start, self.end)
        if self.across is not None:
            # Cut by a page break: the sentence's start on this page, then the words as read across it.
            head = " ".join(self.page.text[start : self.start].split())
            return replace(evidence, start=start, quote=f"{head} {evidence.quote}".strip())
        return replace(evidence, start=start, end=end, quote=" ".join(self.page.text[start:end].split()))


HEADING_LIMIT = 400  # a title longer than this is body text, not a heading
SECTION_NUMBER = re.compile(r"\s*(?:[IVXL]+|\d+|[A-Z])[.)]\s")  # "I. PARTIES", "1. Purpose": a section


# Words a title leaves in lower case ("For the Reimbursement of Joint Operations Expenses from the").
TITLE_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "between",
        "by",
        "for",
        "from",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    ]
)


def _heading_line(line: str) -> bool:
    """A line of a title block: not blank, not a numbered section, its words capitalised (as titles are)."""
    if SECTION_NUMBER.match(line):
        return False
    every = [w for w in line.split() if any(c.isalpha() for c in w)]
    words = [w for w in every if w.lower() not in TITLE_SMALL_WORDS]
    if not words:
        return 0 < len(every) <= 2  # "Between", "and": a title's joining line
    capitalised = sum(1 for w in words if not w[0].islower())
    return capitalised / len(words) >= 0.7


def heading_evidence(match: Match, sha256: str) -> Evidence | None:
    """The evidence widened to the title lines around the match, on its page (the lines above and below
    that are capitalised as a title is, up to a blank line or a numbered section): a title printed over
    several lines is quoted whole, or None when the match stands in body text."""
    text = match.page.text
    start = text.rfind("\n", 0, match.start) + 1
    end = text.find("\n", match.end)
    end = len(text) if end < 0 else end
    if not _heading_line(text[start:end]):
        return None
    while start > 0:
        above = text.rfind("\n", 0, start - 1) + 1
        if not _heading_line(text[above : start - 1]):
            break
        start = above
    while end < len(text):
        below = text.find("\n", end + 1)
        below = len(text) if below < 0 else below
        if not _heading_line(text[end + 1 : below]):
            break
        end = below
    quote = " ".join(text[start:end].split())
    if len(quote) > HEADING_LIMIT:
        return None
    evidence = match.evidence(sha256)
    return replace(evidence, start=start, end=end, quote=quote, rule=evidence.rule + "~heading")


def _with_after(match: Match) -> Match:
    """The match extended by the pattern's `after` regex, when it reads right after it."""
    if match.pattern.after is None:
        return match
    m = match.pattern.after.match(match.page.text, match.end)
    if m is None:
        return match
    groups = dict(match.groups)
    spans = dict(match.spans)
    for key, value in m.groupdict().items():
        if value is not None:
            groups[key] = value
            spans[key] = m.span(key)
    return Match(match.pattern, match.page, match.start, m.end(), groups, spans, match.score)


def _regex_matches(pattern: Pattern, page: PageView, limit: int | None) -> list[Match]:
    text = page.text if limit is None else page.text[:limit]
    out = []
    for m in pattern.regex.finditer(text):
        groups = {k: v for k, v in m.groupdict().items() if v is not None}
        spans = {k: m.span(k) for k in groups}
        out.append(_with_after(Match(pattern, page, m.start(), m.end(), groups, spans)))
    return out


def _fuzzy_match(pattern: Pattern, page: PageView, limit: int | None, short_cutoff: float) -> Match | None:
    if not pattern.phrase:
        return None
    needle = fold(pattern.phrase).text
    folded = page.folded
    haystack = folded.text
    if limit is not None:
        cut = next((i for i, o in enumerate(folded.offsets) if o >= limit), len(haystack))
        haystack = haystack[:cut]
    if len(haystack) < len(needle) // 2:
        return None
    cutoff = short_cutoff if len(needle) < SHORT_PHRASE else FUZZY_CUTOFF
    alignment = fuzz.partial_ratio_alignment(needle, haystack, score_cutoff=cutoff)
    if alignment is None:
        return None
    start, end = folded.span(alignment.dest_start, alignment.dest_end)
    return _with_after(Match(pattern, page, start, end, {}, {}, score=alignment.score))


# What ends a page before the text runs on to the next: its page number ("6", "Page 6 of 12").
PAGE_FOOT = re.compile(
    r"(?:\n[ \t]*(?:page[ \t]+)?\d{1,3}(?:[ \t]+of[ \t]+\d{1,3})?[ \t]*)+\s*$", re.IGNORECASE
)
SEAM = 600  # characters either side of a page break that a clause read across it may span


def _across_pages(pattern: Pattern, pages: list[PageView]) -> list[Match]:
    """Matches of a clause a page break cuts in two ("until either party, upon ⏎ 6 ⏎ 90-day written
    notice"): the end of one page without its page number, joined to the start of the next."""
    out = []
    for page, following in itertools.pairwise(pages):
        tail_start = max(0, len(page.text) - SEAM)
        tail = page.text[tail_start:]
        foot = PAGE_FOOT.search(tail)
        kept = (tail[: foot.start()] if foot else tail).rstrip()
        head = following.text[:SEAM]
        lead = len(head) - len(head.lstrip())
        junction = len(kept)
        joined = kept + "\n" + head[lead:]
        for m in pattern.regex.finditer(joined):
            end = m.end()
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            spans = {k: m.span(k) for k in groups}
            if pattern.after is not None and (after := pattern.after.match(joined, end)) is not None:
                end = after.end()
                for key, value in after.groupdict().items():
                    if value is not None:
                        groups[key], spans[key] = value, after.span(key)
            if not m.start() < junction < end:
                continue  # wholly on one page: the page itself answers for it
            group_pages: dict[str, PageView] = {}
            for key, (a, b) in list(spans.items()):
                if a > junction:  # read on the next page: its own offsets there
                    spans[key] = (a - junction - 1 + lead, b - junction - 1 + lead)
                    group_pages[key] = following
                else:
                    spans[key] = (tail_start + a, tail_start + min(b, junction))
            across = " ".join(joined[m.start() : end].split())
            start = tail_start + m.start()
            out.append(
                Match(pattern, page, start, tail_start + junction, groups, spans, 100.0, group_pages, across)
            )
    return out


def find(
    view: DocumentView,
    pattern: Pattern,
    *,
    fuzzy: bool = False,
    pages: list[PageView] | None = None,
    short_cutoff: float = SHORT_CUTOFF,
    across_pages: bool = False,
) -> list[Match]:
    """Every match of `pattern` (in `pages`, default all; `head` patterns only in the document's head).

    With across_pages=True and no match on any one page, matches a page break cuts in two. With fuzzy=True
    and no exact match anywhere, the best fuzzy match per page above the cutoff."""
    scope: list[tuple[PageView, int | None]]
    if pattern.where == "head":
        scope = [(page, limit) for page, limit in view.head()]
    else:
        scope = [(page, None) for page in (pages if pages is not None else view.pages)]
    found: list[Match] = []
    for page, limit in scope:
        found.extend(_regex_matches(pattern, page, limit))
    if not found and across_pages and pattern.where != "head":
        found = _across_pages(pattern, [page for page, _ in scope])
    if found or not fuzzy:
        return found
    for page, limit in scope:
        match = _fuzzy_match(pattern, page, limit, short_cutoff)
        if match:
            found.append(match)
    return found


def find_first(view: DocumentView, pattern: Pattern, *, fuzzy: bool = False) -> Match | None:
    matches = find(view, pattern, fuzzy=fuzzy)
    return matches[0] if matches else None
