"""Page text as the extractor reads it: glyph-shift repair at equal length, readability, folded views."""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from disentangle.model import Document, Page

# Some PDFs embed subset fonts whose text layer maps each glyph to a code point shifted by a constant
# ("1DPH" for "Name" is a shift of 29; "$BMFC" for "Caleb" a shift of 31). A run is decoded only when the
# whole run becomes a capitalised word, which an ordinary all-caps word never does at these shifts.
_SHIFTS = range(26, 48)
# Colons and underscores are left out of runs: forms print them in the normal font ("Name:____").
_RUN = re.compile(r"[\x01-\x08\x0e-\x1f!-9;-\^`]{3,}")
_WORDLIKE = re.compile(r"[A-Z][a-z]+(?:[.:,]?[ .,'\-]?(?:[A-Z]?[a-z]+|[A-Z]{2,4}\b))*[.:,]?\s*[_:]*")
_VOWELS = frozenset("aeiouy")
_STOPWORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "this",
        "for",
        "by",
        "or",
        "be",
        "any",
        "with",
        "as",
        "is",
        "on",
        "that",
        "will",
        "shall",
        "under",
        "all",
        "its",
        "an",
        "are",
        "not",
    ]
)


def _decode(run: str, shift: int) -> str | None:
    out = []
    space = 0x20 - shift  # a shifted space is a control character when the shift is below 32
    for char in run:
        code = ord(char)
        if code == space:
            out.append(" ")
        elif 0x20 < code + shift < 0x7F:
            out.append(chr(code + shift))
        else:
            return None
    decoded = "".join(out)
    return decoded if _WORDLIKE.fullmatch(decoded.strip()) else None


# A shift is trusted only when it turns some run into one of these words, which the shifted fonts in
# ICE's 2025 signature forms and citations actually spell ("Name", "Title", "Agency", "See" ...).
_CHECK_WORDS = frozenset(
    [
        "name",
        "title",
        "date",
        "signature",
        "agency",
        "see",
        "task",
        "force",
        "model",
        "county",
        "sheriff",
        "sheriffs",
        "office",
        "police",
        "department",
        "acting",
        "director",
        "enforcement",
        "immigration",
        "customs",
        "security",
        "homeland",
        "chief",
        "the",
        "and",
        "of",
        "for",
        "new",
        "jersey",
        "united",
        "states",
        "garrity",
        "giglio",
        "memorandum",
        "agreement",
        "digitally",
        "signed",
        "by",
    ]
)


def _runs_decoded(text: str, shift: int) -> list[tuple[re.Match[str], str]]:
    out = []
    for run in _RUN.finditer(text):
        # Shifted text has no lower-case ASCII letters at all, so a run touching one ("(POCs)") is real text.
        before = text[run.start() - 1] if run.start() else " "
        after = text[run.end()] if run.end() < len(text) else " "
        if before.islower() or after.islower() or re.fullmatch(r"\(.*\)\W*", run.group()):
            continue  # "(DHS)," is a real parenthesised acronym, not "EaepFI"
        decoded = _decode(run.group(), shift)
        if decoded and all(_VOWELS & set(word.lower()) for word in re.findall(r"[A-Z][a-z]+", decoded)):
            out.append((run, decoded))
    return out


def _trusted(decoded_runs: list[tuple[re.Match[str], str]]) -> bool:
    words = {w.lower() for _, decoded in decoded_runs for w in re.findall(r"[A-Z][a-z]+", decoded)}
    return bool(words & _CHECK_WORDS)


def find_glyph_shift(texts: list[str]) -> int | None:
    """The glyph shift of a document's subset fonts, if some page spells a check word with it."""
    for shift in _SHIFTS:
        if any(_trusted(_runs_decoded(text, shift)) for text in texts if _RUN.search(text)):
            return shift
    return None


def repair_shifted_glyphs(text: str, shift: int | None = None) -> str:
    """The text with glyph-shifted runs decoded in place; every other character, and the length, unchanged.

    `shift` is the document's shift (find_glyph_shift); without it, the page must prove its own."""
    if not _RUN.search(text):
        return text
    if shift is None:
        shift = find_glyph_shift([text])
        if shift is None:
            return text
    pieces: list[str] = []
    last = 0
    for run, decoded in _runs_decoded(text, shift):
        pieces.append(text[last : run.start()])
        pieces.append(decoded)
        last = run.end()
    pieces.append(text[last:])
    return "".join(pieces)


def readability(text: str) -> float:
    """Share of word tokens that are common English function words, scaled so clean agreement text is ~1.0."""
    words = re.findall(r"[A-Za-z]+", text)
    if len(words) < 20:
        return 0.0 if not words else min(1.0, sum(w.lower() in _STOPWORDS for w in words) / len(words) / 0.2)
    share = sum(w.lower() in _STOPWORDS for w in words) / len(words)
    return min(1.0, share / 0.2)  # agreements run at 25-35 % function words; garbage near 0


@dataclass(frozen=True, slots=True)
class Folded:
    """A lower-cased, whitespace-collapsed view of a text with the map back to original offsets."""

    text: str
    # offsets[i] is the original index of folded character i; one extra at the end. An array of 4-byte
    # integers: a list of ints costs about 40 bytes a character, which made extraction cost ~90 MB per MB.
    offsets: Sequence[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) span of the folded span [start, end)."""
        return self.offsets[start], self.offsets[end - 1] + 1 if end > start else self.offsets[start]


_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_FOLD_RUNS = re.compile(r"[\s\x00]+|[^\s\x00]+")


def fold(text: str) -> Folded:
    """Lower case, typographic quotes straightened, whitespace runs as one space, offsets kept.

    Works a run of letters or of spaces at a time, so its memory is a few bytes a character."""
    pieces: list[str] = []
    offsets = array("L")
    for run in _FOLD_RUNS.finditer(text.translate(_QUOTES)):
        start, end = run.span()
        word = run.group()
        if word[0].isspace() or word[0] == "\x00":
            if pieces:
                pieces.append(" ")
                offsets.append(start)
            continue
        lowered = word.lower()
        if len(lowered) == len(word):
            pieces.append(lowered)
            offsets.extend(range(start, end))
        else:  # a letter whose lower case is longer ("İ"): one offset per original letter, as ever
            for index, char in enumerate(word, start):
                pieces.append(char.lower())
                offsets.append(index)
    offsets.append(len(text))
    return Folded("".join(pieces), offsets)


def ascii_fold(text: str) -> str:
    """Accents stripped, typographic quotes straightened — for comparing names."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    return "".join(c for c in text if not unicodedata.combining(c))


class PageView:
    """One page as the extractor reads it: the repaired text (same length as the page text) and its fold."""

    def __init__(self, page: Page, shift: int | None = None) -> None:
        self.page = page
        self.number = page.number
        self.text = repair_shifted_glyphs(page.text, shift) if shift else page.text
        self.repaired = self.text != page.text

    @cached_property
    def folded(self) -> Folded:
        return fold(self.text)

    @cached_property
    def readability(self) -> float:
        return readability(self.text)


class DocumentView:
    """A document's pages as PageViews, plus the places extractors keep asking about."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.sha256 = document.sha256
        self.glyph_shift = find_glyph_shift([page.text for page in document.pages])
        self.pages = [PageView(page, self.glyph_shift) for page in document.pages]

    @cached_property
    def readability(self) -> float:
        texts = [page.text for page in self.pages if page.text.strip()]
        return readability(" ".join(texts)) if texts else 0.0

    def head(self, limit: int = 6000) -> list[tuple[PageView, int]]:
        """The pages, each with a character limit, that hold the document's first `limit` characters.

        Blank pages do not count, so a title after an empty scan page is still in the head."""
        out: list[tuple[PageView, int]] = []
        remaining = limit
        for page in self.pages:
            if remaining <= 0:
                break
            if not page.text.strip():
                continue
            out.append((page, min(len(page.text), remaining)))
            remaining -= len(page.text)
        return out
