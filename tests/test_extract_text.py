"""Reading damaged text: glyph-shifted fonts, readability, folded offsets, signature-page dates."""

from __future__ import annotations

from datetime import date

import pytest

from disentangle.extract import readability, repair_shifted_glyphs
from disentangle.extract._dates import find_dates
from disentangle.extract._text import find_glyph_shift, fold


@pytest.mark.parametrize(
    ("text", "shift", "expected"),
    [
        # Real runs from the corpus (shift 29: "1DPH" is "Name"; shift 31: "$BMFC" is "Caleb").
        ("1DPH:___ 7LWOH  $JHQF\\ 6HH 8 U.S.C.", 29, "Name:___ Title  Agency See 8 U.S.C."),
        ("For the LEA: /DUU\\.HQGULFN", 29, "For the LEA: LarryKendrick"),
        ("February 24, 2025\n$BMFC7JUFMMP\n", 31, "February 24, 2025\nCalebVitello\n"),
        # Negative rows: ordinary text and acronyms stay as they are at any shift.
        (
            "The MOA (ICE) and the LEA, 8 U.S.C. 1357(g), APPENDIX A (DHS),",
            29,
            "The MOA (ICE) and the LEA, 8 U.S.C. 1357(g), APPENDIX A (DHS),",
        ),
        ("See the (POCs) list", 31, "See the (POCs) list"),
    ],
)
def test_repair_shifted_glyphs(text: str, shift: int, expected: str) -> None:
    repaired = repair_shifted_glyphs(text, shift)
    assert repaired == expected
    assert len(repaired) == len(text)  # offsets stay valid for evidence


def test_glyph_shift_needs_a_check_word() -> None:
    assert find_glyph_shift(["'DWH: 1DPH: 7LWOH:"]) == 29  # "Date", "Name", "Title"
    assert find_glyph_shift(["The Sheriff (LEA) signs for ICE."]) is None


@pytest.mark.parametrize(
    ("text", "low"),
    [
        (
            "The LEA and ICE enter into this MOA in good faith and agree to abide by the terms and "
            "conditions contained herein. This MOA sets forth the scope of the functions of an officer.",
            False,
        ),
        (
            "ƞ7 g.ƞ$ƞŦCƞ7,2ƞ?.ƞƞ-ƞƞéXYƞÚŏ &ŷċƞƞ /)ƞ3öA ŚƄƞ>P/^ƞƞT ƞ$ƞƞÐ :ƞ$ƞO@ƞ)ŸUƞÑOƞƞ iA"
            " ƞƞaD+2ƞ *Ź*ƞƞƞÜ/Dƞ#&Ɔ",
            True,
        ),
        ("", True),
    ],
)
def test_readability(text: str, low: bool) -> None:
    assert (readability(text) < 0.5) is low


def test_fold_maps_back_to_original_offsets() -> None:
    text = "Termination  by the\n  LEA’s   office"
    folded = fold(text)
    assert folded.text == "termination by the lea's office"
    start = folded.text.index("lea's")
    a, b = folded.span(start, start + len("lea's"))
    assert text[a:b] == "LEA’s"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Date:_ _O_C_T_1_5_2_01_9_       _", [(date(2019, 10, 15), "stamped")]),
        (
            "Date: 02/21/2025                          February 26, 2025",
            [(date(2025, 2, 21), "numeric"), (date(2025, 2, 26), "typed")],
        ),
        ("Date: 2025.03.18 09:52:57 -05'00'", [(date(2025, 3, 18), "digital")]),
        ("Dato 202504.25110805-04'00'", [(date(2025, 4, 25), "digital")]),
        ("Date: 04/10/ 2025", [(date(2025, 4, 10), "numeric")]),
        ("02-18-25", [(date(2025, 2, 18), "numeric")]),
        # Negative rows: statute numbers, impossible dates, years out of range.
        ("Section 287(g), 8 U.S.C. § 1357 (1996), Pub. L. No. 107-296", []),
        ("Date: 13/45/2025", []),
        ("March 7, 1875", []),
    ],
)
def test_find_dates(text: str, expected: list[tuple[date, str]]) -> None:
    assert [(f.value, f.form) for f in find_dates(text)] == expected
