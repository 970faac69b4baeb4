"""Redaction: the personal data of private people found on a document's pages, as boxes to black out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from disentangle.errors import InputError


class RedactionKind(StrEnum):
    """What a box hides. The recognisers of knowledge/redaction/recognizers.yaml name these."""

    SSN = "ssn"  # a Social Security number
    ALIEN_NUMBER = "alien-number"  # an A-number of the immigration file
    BIRTH_DATE = "birth-date"  # a date of birth
    BOOKING_NUMBER = "booking-number"  # a jail booking, inmate or subject number
    CASE_NUMBER = "case-number"  # a court or agency case number about a person
    PHONE = "phone"
    EMAIL = "email"
    STREET_ADDRESS = "street-address"
    PERSON_NAME = "person-name"  # a private person's name (officials signing in their role are kept)
    PERSON = "person"  # a box a person drew, for anything the recognisers missed


class BoxOrigin(StrEnum):
    """Who proposed a box: human review is a state of its own."""

    MACHINE = "machine"  # a recogniser's suggestion
    PERSON = "person"  # a box a person added


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle of a page in PDF points (1/72 inch), measured from the page's top-left corner."""

    x0: float
    y0: float
    x1: float
    y1: float

    def to_json(self) -> list[float]:
        return [round(self.x0, 2), round(self.y0, 2), round(self.x1, 2), round(self.y1, 2)]

    @classmethod
    def from_json(cls, data: list[float] | tuple[float, ...]) -> Box:
        x0, y0, x1, y1 = (float(v) for v in data)
        return cls(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def holds(self, other: Box) -> bool:
        """Whether the other box's centre lies in this one (a word under a box a person drew)."""
        x, y = (other.x0 + other.x1) / 2, (other.y0 + other.y1) / 2
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1)
        )


@dataclass(frozen=True, slots=True)
class PageWord:
    """A word of a page with its box: from the PDF's text layer, or from Tesseract on the page image."""

    page: int  # 1-based
    text: str
    box: Box


@dataclass(frozen=True, slots=True)
class Redaction:
    """One box to black out, with why: the recogniser, the words it covers (never shown outside the
    workspace), and who proposed it."""

    page: int
    box: Box
    kind: RedactionKind
    rule: str  # the recogniser's id, or "person"
    text: str  # the words under the box, for the reviewer
    origin: BoxOrigin = BoxOrigin.MACHINE

    @property
    def key(self) -> str:
        """Stable across runs of the same recognisers on the same pages: what a person drops is remembered."""
        x0, y0, x1, y1 = self.box.to_json()
        return f"{self.page}:{self.kind.value}:{x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f}"

    def to_json(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "box": self.box.to_json(),
            "kind": self.kind.value,
            "rule": self.rule,
            "text": self.text,
            "origin": self.origin.value,
            "key": self.key,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Redaction:
        return cls(
            int(data["page"]),
            Box.from_json(data["box"]),
            RedactionKind(data["kind"]),
            str(data.get("rule") or "person"),
            str(data.get("text") or ""),
            BoxOrigin(data.get("origin") or BoxOrigin.PERSON.value),
        )


def page_box(text: str) -> tuple[int, Box]:
    """A box a person typed: PAGE:x0,y0,x1,y1 in points from the page's top-left corner."""
    page, _, coordinates = text.partition(":")
    parts = coordinates.split(",")
    try:
        if not page.strip().isdigit() or len(parts) != 4:
            raise ValueError
        return int(page), Box.from_json([float(p) for p in parts])
    except ValueError:
        raise InputError(
            f"a box is PAGE:x0,y0,x1,y1 in points (e.g. 2:72,90,210,104), not {text!r}"
        ) from None
