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
from pathlib import Path
from typing import Any

from disentangle.errors import KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.model import Box, PageWord, Redaction, RedactionKind, normalize_state

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
class NameLists:
    """Names anywhere on a page: a first name of the Census's lists (lower case) beside a surname."""

    recognizer: Recognizer  # what a suggestion says it is (kind person-name)
    first: frozenset[str]


@dataclass(frozen=True, slots=True)
class Recognizers:
    recognizers: tuple[Recognizer, ...]
    official_titles: re.Pattern[str]
    not_name_words: frozenset[str]
    names: NameLists | None = None


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
            _name_lists(data["name_lists"]) if data.get("name_lists") else None,
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise KnowledgeError(f"{KNOWLEDGE}: {exc}") from exc


def _name_lists(entry: dict[str, Any]) -> NameLists:
    """The Census's name lists of `name_lists` (files beside the recognisers, one name a line)."""
    folder = KNOWLEDGE_DIR / Path(KNOWLEDGE).parent

    def names(files: Sequence[str]) -> frozenset[str]:
        out: set[str] = set()
        for name in files:
            path = folder / name
            try:
                lines = path.read_text(encoding="utf-8").split()
            except OSError as exc:
                raise KnowledgeError(f"{KNOWLEDGE}: name list {name}: {exc.strerror or exc}") from exc
            out.update(line.strip().lower() for line in lines if line.strip())
        if not out:
            raise KnowledgeError(f"{KNOWLEDGE}: the name lists {list(files)} are empty")
        return frozenset(out)

    for key in ("id", "kind", "label", "description", "source", "first"):
        if not entry.get(key):
            raise KnowledgeError(f"{KNOWLEDGE}: name_lists has no {key}")
    recognizer = Recognizer(
        id=str(entry["id"]),
        kind=RedactionKind(entry["kind"]),
        label=str(entry["label"]),
        description=str(entry["description"]),
        pattern=None,
        labels=(),
        value=None,
        near=None,
        exclude=None,
        source=dict(entry["source"]),
    )
    not_first = {str(w).lower() for w in entry.get("not_first") or ()}
    return NameLists(recognizer, names(entry["first"]) - not_first)


# A word that may be part of a name: capitalised ("Gonzalez", "McCarthy", "O'Neil", "Smith-Jones"), all
# capitals ("GONZALEZ"), or an initial ("L", "L.").
_NAME_WORD = re.compile(
    r"[A-Z]'[A-Z][a-z]+|[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:['-][A-Z]?[a-z]+)*|[A-Z]{2,}(?:['-][A-Z]+)*|[A-Z]\.?"
)


def listed_names(text: str, lists: NameLists, not_name_words: frozenset[str]) -> list[tuple[int, int]]:
    """Where `text` names a person: a first name of the lists, an optional middle name or initial, and a
    capitalised surname ("Maria L. Gonzalez", "GRACE OKONKWO"); or a capitalised surname, a comma and a
    first name of the lists ("ARREVALO, DOMINGO", with an optional initial; not "Augustine, Florida").
    Surnames are not looked up: the lists of 1990 miss too many of the names in these records. Any word
    of `not_name_words`, in the name or right after it ("Houston Field Office"), makes it a thing.
    Spans as (start, end) offsets."""
    words = [(m.group(), m.start(), m.end()) for m in _NAME_WORD.finditer(text)]

    def plain(word: str) -> str:
        return word.rstrip(".").lower()

    def thing(index: int) -> bool:
        """The word right after a name (same line, spaces only between) makes it a thing."""
        return joined(index - 1, index) and plain(words[index][0]) in not_name_words

    def joined(a: int, b: int, glue: str = r"[ \t]+") -> bool:
        return b < len(words) and re.fullmatch(glue, text[words[a][2] : words[b][1]]) is not None

    def initial(index: int) -> bool:
        return len(words[index][0].rstrip(".")) == 1

    found: list[tuple[int, int]] = []
    taken = -1
    for i, (word, start, _end) in enumerate(words):
        if i <= taken or not _is_surname(word, not_name_words):
            continue
        # Surname, first name [initial]
        given = i + 1
        comma = joined(i, given, r",[ \t]*") and plain(words[given][0]) in lists.first
        if comma and normalize_state(words[given][0]) is None:  # "Augustine, Florida" is a place
            end_at = given + 1 if joined(given, given + 1) and initial(given + 1) else given
            if not thing(end_at + 1):
                found.append((start, words[end_at][2]))
                taken = end_at
                continue
        if plain(word) not in lists.first:
            continue
        # First [middle] surname
        j = i + 1
        middle = joined(i, j) and (initial(j) or plain(words[j][0]) in lists.first)
        if middle and joined(j, j + 1) and _is_surname(words[j + 1][0], not_name_words):
            j += 1  # a middle name or initial, then the surname
        if joined(j - 1, j) and _is_surname(words[j][0], not_name_words) and not thing(j + 1):
            found.append((start, words[j][2]))
            taken = j
    return found


def _is_surname(word: str, not_name_words: frozenset[str]) -> bool:
    """A word that may be a surname: capitalised, three letters or more, not a thing's word."""
    bare = word.rstrip(".")
    return len(bare) >= 3 and bare == word and bare.lower() not in not_name_words


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
        if known.names is not None:
            named = listed_names(page.text, known.names, known.not_name_words)
            hits += [(known.names.recognizer, start, end) for start, end in named]
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
    known = recognizers()
    listed = (known.names.recognizer,) if known.names else ()
    return [
        {"id": r.id, "kind": r.kind.value, "label": r.label, "description": r.description, "source": r.source}
        for r in (*known.recognizers, *listed)
    ]
