"""Finding the personal data of private people on a document's pages, as boxes to black out.

Pure: it takes the pages' words with their boxes (ingest.page_words) and the names of the officials the
document's signature blocks show, and returns `Redaction`s. The recognisers are data
(knowledge/redaction/recognizers.yaml): a pattern over the page's words, or a value after one of a
recogniser's labels — on the same line, or under the label in a table's column.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.model import Box, PageWord, Redaction, RedactionKind

KNOWLEDGE = "redaction/recognizers.yaml"
CELL_GAP = 10.0  # points between two words of a line that start a new table cell
_LABEL_GLUE = r"\s*(?:[:#]|No\.)?\s*"


@dataclass(frozen=True, slots=True)
class Recognizer:
    id: str
    kind: RedactionKind
    label: str
    description: str
    pattern: re.Pattern[str] | None  # found anywhere on the page
    labels: tuple[re.Pattern[str], ...]  # a value after one of these, or under it in a table column
    value: re.Pattern[str] | None
    near: RedactionKind | None  # also found on a line that carries a suggestion of this kind
    exclude: re.Pattern[str] | None
    source: dict[str, str]


@dataclass(frozen=True, slots=True)
class Recognizers:
    recognizers: tuple[Recognizer, ...]
    official_titles: re.Pattern[str]
    not_name_words: frozenset[str]


@cache
def recognizers() -> Recognizers:
    """The recognisers of knowledge/redaction/recognizers.yaml, compiled; a bad entry is a KnowledgeError."""
    data = load_yaml(KNOWLEDGE)
    try:
        macros: dict[str, str] = dict(data.get("macros") or {})

        def expand(text: str) -> str:
            for name, body in macros.items():
                text = text.replace("{" + name + "}", body)
            return text

        found: list[Recognizer] = []
        for entry in data["recognizers"]:
            for key in ("id", "kind", "label", "description", "source"):
                if not entry.get(key):
                    raise KnowledgeError(f"{KNOWLEDGE}: recogniser {entry.get('id')!r} has no {key}")
            if not entry.get("pattern") and not entry.get("labels"):
                raise KnowledgeError(
                    f"{KNOWLEDGE}: recogniser {entry['id']!r} has neither pattern nor labels"
                )
            found.append(
                Recognizer(
                    id=str(entry["id"]),
                    kind=RedactionKind(entry["kind"]),
                    label=str(entry["label"]),
                    description=str(entry["description"]),
                    pattern=re.compile(expand(entry["pattern"])) if entry.get("pattern") else None,
                    labels=tuple(
                        re.compile(rf"(?<![\w-])(?:{label})(?![\w])", re.I)
                        for label in entry.get("labels") or ()
                    ),
                    value=re.compile(expand(entry["value"])) if entry.get("value") else None,
                    near=RedactionKind(entry["near"]) if entry.get("near") else None,
                    exclude=re.compile(entry["except"], re.I) if entry.get("except") else None,
                    source=dict(entry["source"]),
                )
            )
        titles = "|".join(str(t) for t in data["official_titles"])
        return Recognizers(
            tuple(found),
            re.compile(rf"(?:{titles})\s*$", re.I),
            frozenset(str(w).lower() for w in data["not_name_words"]),
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise KnowledgeError(f"{KNOWLEDGE}: {exc}") from exc


@dataclass(slots=True)
class _Line:
    words: list[PageWord]
    start: int  # offset of the line's first character in the page text

    @property
    def top(self) -> float:
        return min(w.box.y0 for w in self.words)


@dataclass(slots=True)
class _Page:
    number: int
    text: str
    lines: list[_Line]
    spans: list[tuple[int, int, int, int]]  # (start, end, line index, word index) of every word

    def words_in(self, start: int, end: int) -> list[tuple[int, int]]:
        return [(li, wi) for s, e, li, wi in self.spans if s < end and e > start]


def _lines(words: Sequence[PageWord]) -> list[list[PageWord]]:
    """Words grouped into lines by their vertical middles, top to bottom, each left to right."""
    if not words:
        return []
    height = statistics.median(w.box.y1 - w.box.y0 for w in words) or 1.0
    ordered = sorted(words, key=lambda w: ((w.box.y0 + w.box.y1) / 2, w.box.x0))
    lines: list[list[PageWord]] = [[ordered[0]]]
    middle = (ordered[0].box.y0 + ordered[0].box.y1) / 2
    for word in ordered[1:]:
        here = (word.box.y0 + word.box.y1) / 2
        if abs(here - middle) <= height * 0.5:
            lines[-1].append(word)
        else:
            lines.append([word])
            middle = here
    return [sorted(line, key=lambda w: w.box.x0) for line in lines]


def _page(number: int, words: Sequence[PageWord]) -> _Page:
    parts: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    lines: list[_Line] = []
    offset = 0
    for li, line in enumerate(_lines(words)):
        lines.append(_Line(line, offset))
        for wi, word in enumerate(line):
            if wi:
                parts.append(" ")
                offset += 1
            spans.append((offset, offset + len(word.text), li, wi))
            parts.append(word.text)
            offset += len(word.text)
        parts.append("\n")
        offset += 1
    return _Page(number, "".join(parts), lines, spans)


def _boxes(page: _Page, start: int, end: int) -> list[tuple[int, Box, str]]:
    """One box per line for the words a character span touches (a span may run over a line break)."""
    by_line: dict[int, list[PageWord]] = {}
    for li, wi in page.words_in(start, end):
        by_line.setdefault(li, []).append(page.lines[li].words[wi])
    out = []
    for li, words in sorted(by_line.items()):
        box = words[0].box
        for word in words[1:]:
            box = box.union(word.box)
        out.append((li, box, " ".join(w.text for w in words)))
    return out


def _is_name(text: str, known: Recognizers) -> bool:
    tokens = re.findall(r"[A-Za-z'\-]+", text)
    return len(tokens) >= 2 and not any(t.lower().strip("'-") in known.not_name_words for t in tokens)


def _name_tokens(text: str) -> frozenset[str]:
    return frozenset(t.lower() for t in re.findall(r"[A-Za-z]{2,}", text))


def _is_official(text: str, before: str, officials: Sequence[frozenset[str]], known: Recognizers) -> bool:
    """A name in its public role: one of the document's signers, or right after an official title."""
    tokens = _name_tokens(text)
    if any(len(tokens & official) >= 2 or (tokens and tokens <= official) for official in officials):
        return True
    return bool(known.official_titles.search(before[-60:]))


def suggest(
    words: Iterable[PageWord], officials: Iterable[str] = (), *, known: Recognizers | None = None
) -> list[Redaction]:
    """Every box of personal data the recognisers find, in page and reading order, officials excepted."""
    known = known or recognizers()
    official_names = [_name_tokens(name) for name in officials if name and len(_name_tokens(name)) >= 2]
    by_page: dict[int, list[PageWord]] = {}
    for word in words:
        by_page.setdefault(word.page, []).append(word)
    found: dict[str, Redaction] = {}
    for number in sorted(by_page):
        page = _page(number, by_page[number])
        hits: list[tuple[Recognizer, int, int]] = []
        for recognizer in known.recognizers:
            hits += [(recognizer, s, e) for s, e in _pattern_hits(page, recognizer)]
            hits += [(recognizer, s, e) for s, e in _label_hits(page, recognizer)]
            hits += [(recognizer, s, e) for s, e in _column_hits(page, recognizer)]
        # a second pass for recognisers that look near another kind (a name on a date-of-birth line)
        lines_of: dict[RedactionKind, set[int]] = {}
        for recognizer, start, end in hits:
            for li, _box, _text in _boxes(page, start, end):
                lines_of.setdefault(recognizer.kind, set()).add(li)
        for recognizer in known.recognizers:
            if recognizer.near is not None and recognizer.value is not None:
                for li in sorted(lines_of.get(recognizer.near, ())):
                    line = page.lines[li]
                    text = page.text[line.start : page.text.index("\n", line.start)]
                    hits += [
                        (recognizer, line.start + m.start(), line.start + m.end())
                        for m in recognizer.value.finditer(text)
                    ]
        for recognizer, start, end in hits:
            matched = page.text[start:end]
            if recognizer.kind is RedactionKind.PERSON_NAME and (
                not _is_name(matched, known)
                or _is_official(matched, page.text[:start], official_names, known)
            ):
                continue
            if recognizer.exclude is not None and recognizer.exclude.search(matched):
                continue
            for _li, box, text in _boxes(page, start, end):
                redaction = Redaction(number, box, recognizer.kind, recognizer.id, text)
                found.setdefault(redaction.key, redaction)
    return sorted(found.values(), key=lambda r: (r.page, r.box.y0, r.box.x0, r.kind.value))


def _pattern_hits(page: _Page, recognizer: Recognizer) -> list[tuple[int, int]]:
    if recognizer.pattern is None:
        return []
    return [(m.start(), m.end()) for m in recognizer.pattern.finditer(page.text)]


def _label_hits(page: _Page, recognizer: Recognizer) -> list[tuple[int, int]]:
    """A value right after one of the labels ("DOB: 03/14/1987", "Inmate: Marisol Quintanilla")."""
    if recognizer.value is None:
        return []
    out = []
    for label in recognizer.labels:
        for m in label.finditer(page.text):
            glue = re.compile(_LABEL_GLUE).match(page.text, m.end())
            at = glue.end() if glue else m.end()
            value = recognizer.value.match(page.text, at)
            if value and value.end() > value.start():
                out.append((value.start(), value.end()))
    return out


def _cells(line: _Line) -> list[tuple[float, float, int, int]]:
    """A line cut where words stand far apart: each cell's x range and its first and last word."""
    cells: list[tuple[float, float, int, int]] = []
    for index, word in enumerate(line.words):
        if cells and word.box.x0 - line.words[index - 1].box.x1 < CELL_GAP:
            x0, _x1, first, _last = cells[-1]
            cells[-1] = (x0, word.box.x1, first, index)
        else:
            cells.append((word.box.x0, word.box.x1, index, index))
    return cells


def _column_hits(page: _Page, recognizer: Recognizer) -> list[tuple[int, int]]:
    """Values in a table column headed by one of the labels: the header line is cut into cells where words
    stand far apart, and each following line of the table (a line still cut into several cells) gives the
    words under the header's cell, where the value is looked for."""
    if recognizer.value is None or not recognizer.labels:
        return []
    out = []
    for li, line in enumerate(page.lines):
        header = _cells(line)
        if len(header) < 3:
            continue
        for ci, (x0, _x1, first, last) in enumerate(header):
            text = " ".join(w.text for w in line.words[first : last + 1])
            if not any(
                label.fullmatch(text.strip(" :#")) or label.fullmatch(text) for label in recognizer.labels
            ):
                continue
            right = header[ci + 1][0] if ci + 1 < len(header) else float("inf")
            left = header[ci - 1][1] if ci else float("-inf")
            for row_index in range(li + 1, len(page.lines)):
                row = page.lines[row_index]
                if len(_cells(row)) < 2:
                    break  # prose again: the table ended
                under = [
                    (wi, w)
                    for wi, w in enumerate(row.words)
                    if left < (w.box.x0 + w.box.x1) / 2 < right and w.box.x1 > x0 - CELL_GAP
                ]
                if not under:
                    continue
                spans = [s for s in page.spans if s[2] == row_index and s[3] in {wi for wi, _ in under}]
                start, end = min(s[0] for s in spans), max(s[1] for s in spans)
                # a scan's table rules come back as stray marks ("=|") beside a cell's value
                value = recognizer.value.search(page.text, start, end)
                if value:
                    out.append((value.start(), value.end()))
    return out


def describe() -> list[dict[str, Any]]:
    """The recognisers as the docs and the review page list them."""
    return [
        {"id": r.id, "kind": r.kind.value, "label": r.label, "description": r.description, "source": r.source}
        for r in recognizers().recognizers
    ]
