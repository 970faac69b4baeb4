"""Policy texts as a user gives them, and the word view that provisions are searched in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from disentangle.errors import InputError


class Markup(StrEnum):
    """How a text marks what is not law: deleted or struck matter, tags, line numbers, page furniture."""

    PLAIN = "plain"  # every character is the text's words
    XML = "xml"  # structured XML (D.C. Council): tags are not words
    BRACKETED = "bracketed"  # New York City Council bills: [matter in brackets] is deleted law
    NEW_YORK_BILL = (
        "new-york-bill"  # NY legislature: [brackets] deleted, page headers "S. 987  2", hyphenation
    )
    MARYLAND_BILL = (
        "maryland-bill"  # Md. bill text as converted by Legi-Assist: ~~struck~~, [deleted], line numbers
    )


@dataclass(frozen=True, slots=True)
class PolicyText:
    """One policy text: an ordinance, a sheriff's directive, a statute or a bill, with its name and source."""

    name: str
    text: str
    citation: str | None = None  # e.g. "Cal. Gov. Code §§ 7282-7284.12 (SB 54, 2017)"
    kind: str | None = (
        None  # statute, ordinance, directive, bill, executive order (free label, shown as given)
    )
    enacted: bool | None = None  # False for a bill that has not passed; None when the user does not say
    source: str | None = None  # where the text comes from (URL, file, records request)
    markup: Markup | None = None  # None: guessed from the text (see guess_markup)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InputError("a policy text needs a name")
        if not isinstance(self.text, str):
            raise InputError(f"policy text {self.name!r}: text must be a string")

    @property
    def effective_markup(self) -> Markup:
        return self.markup if self.markup is not None else guess_markup(self.text)


def guess_markup(text: str) -> Markup:
    """The markup convention a text follows, from tell-tale lines; PLAIN when nothing tells."""
    head = text.lstrip()[:200]
    if head.startswith("<?xml") or head.startswith("<section"):
        return Markup.XML
    if "EXPLANATION: CAPITALS INDICATE MATTER ADDED TO EXISTING LAW" in text or (
        "START OF PAGE" in text and "~~" in text
    ):
        return Markup.MARYLAND_BILL
    if re.search(r"matter in brackets\s*\[ \] is old law to be omitted", text, re.I):
        return Markup.NEW_YORK_BILL
    if text.lstrip().startswith("Be it enacted by the Council as follows"):
        return Markup.BRACKETED
    return Markup.PLAIN


# Mask values for each original character.
_KEEP, _SEPARATOR, _DROP = 0, 1, 2

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u00ad": "",
    }
)
_HYPHENATION = re.compile(r"(?<=\w)-[ \t]*\r?\n\s*(?=\w)")
_XML_TAG = re.compile(r"<[^>]*>")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_TILDE = re.compile(r"~~.*?~~", re.S)
_MD_LINE_NUMBER = re.compile(r"(?m)^[ \t]*\d{1,2}[ \t]+(?=\S)")
_MD_FURNITURE = re.compile(
    r"(?m)^[ \t]*(?:(?:START|END) OF PAGE \d+|[-\u2013] \d+ [-\u2013]"
    r"|\d*[ \t]*(?:HOUSE|SENATE) BILL \d+(?: \d+)?"
    r"|.*LAWS OF MARYLAND|WES MOORE, Governor Ch\. \d+|EXPLANATION:.*|\[Brackets\] indicate.*"
    r"|Underlining indicates.*|~~Strike~~.*|amendment\. \*[a-z]{2}\d+\*|\*[a-z]{2}\d+\*)[ \t]*$"
)
_MD_STRUCK_SECTION = re.compile(r"(?m)^[ \t]*~~\d+[-\u2013]\d+(?:\.\d+)*\.~~[ \t]*$")
_MD_SECTION_END = re.compile(
    r"(?m)^[ \t]*(?:\d{1,2}[ \t]+)?(?:\d+[-\u2013]\d+(?:\.\d+)*\.|Article [-\u2013] |SECTION \d+\. )"
)
_NY_FURNITURE = re.compile(
    r"(?m)^[ \t]*(?:[SA]\. \d+[ \t]+\d+|EXPLANATION--.*|\[ \] is old law to be omitted\."
    r"|LBD\d+-\d+-\d+|_{10,})[ \t]*$"
)


def _mark(mask: bytearray, pattern: re.Pattern[str], text: str, value: int) -> None:
    for match in pattern.finditer(text):
        for index in range(match.start(), match.end()):
            if mask[index] == _KEEP:
                mask[index] = value


def _mark_struck_sections(mask: bytearray, text: str) -> None:
    """A struck section number (Md. '~~5-104.1.~~') strikes everything up to the next live heading."""
    for heading in _MD_STRUCK_SECTION.finditer(text):
        end = len(text)
        for candidate in _MD_SECTION_END.finditer(text, heading.end()):
            line_end = text.find("\n", candidate.start())
            line = text[candidate.start() : line_end if line_end >= 0 else len(text)]
            if "~~" not in line:
                end = candidate.start()
                break
        for index in range(heading.start(), end):
            if mask[index] == _KEEP:
                mask[index] = _SEPARATOR


@dataclass(frozen=True, slots=True)
class WordView:
    """The words of a text, whitespace collapsed, with the original offset of every character kept."""

    words: str
    offsets: tuple[int, ...]  # offsets[i]: index in the original text of words[i]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The [start, end) range in the original text that words[start:end] came from."""
        if start >= end:
            raise ValueError("empty span")
        return self.offsets[start], self.offsets[end - 1] + 1


def word_view(text: str, markup: Markup) -> WordView:
    """Collapse a text to its live words: deleted or struck matter, tags and page furniture removed."""
    mask = bytearray(len(text))
    if markup is Markup.XML:
        _mark(mask, _XML_TAG, text, _SEPARATOR)
    if markup is Markup.MARYLAND_BILL:
        _mark(mask, _TILDE, text, _SEPARATOR)
        _mark_struck_sections(mask, text)
        _mark(mask, _MD_FURNITURE, text, _SEPARATOR)
        _mark(mask, _MD_LINE_NUMBER, text, _SEPARATOR)
    if markup is Markup.NEW_YORK_BILL:
        _mark(mask, _NY_FURNITURE, text, _SEPARATOR)
    if markup in (Markup.BRACKETED, Markup.NEW_YORK_BILL, Markup.MARYLAND_BILL):
        _mark(mask, _BRACKETS, text, _SEPARATOR)
    _mark(mask, _HYPHENATION, text, _DROP)

    chars: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for index, char in enumerate(text):
        flag = mask[index]
        if flag == _DROP:
            continue
        if flag == _SEPARATOR or char.isspace():
            pending_space = bool(chars)
            continue
        mapped = char.translate(_TRANSLATE)
        if not mapped:
            continue
        if pending_space:
            chars.append(" ")
            offsets.append(index)
            pending_space = False
        for piece in mapped:
            chars.append(piece)
            offsets.append(index)
    return WordView("".join(chars), tuple(offsets))


_CLAUSE_END = re.compile(r"[;:](?=\s)|\.(?=\s+[A-Z(\"0-9])|\.(?=\s+(?:[a-z]|[ivx]{1,4}|\d{1,3})\.\s)")
_NOT_AN_END = re.compile(r"(?:^|[\s(])(?:[A-Za-z]|[ivxIVX]{1,4}|\d{1,3})\.$|(?:[A-Za-z]\.){2,}$")


class ClauseFinder:
    """Widen a match to the clause around it (between ';', ':' or a sentence end), within limits."""

    limit = 320

    def __init__(self, words: str) -> None:
        self.words = words

    @cached_property
    def _boundaries(self) -> list[int]:
        found = [0]
        for match in _CLAUSE_END.finditer(self.words):
            token = self.words[max(0, match.start() - 12) : match.end()]
            # "c." or "ii." opens the next clause and "U.S.C." is an abbreviation: neither ends a clause.
            if match.group() == "." and _NOT_AN_END.search(token):
                continue
            found.append(match.end())
        found.append(len(self.words))
        return found

    def clause(self, start: int, end: int) -> tuple[int, int]:
        left = max(0, start - self.limit)
        right = min(len(self.words), end + self.limit)
        before = [b for b in self._boundaries if left <= b <= start]
        after = [b for b in self._boundaries if end <= b <= right]
        clause_start = before[-1] if before else left
        clause_end = after[0] if after else right
        while clause_start < start and self.words[clause_start] == " ":
            clause_start += 1
        return clause_start, max(clause_end, end)
