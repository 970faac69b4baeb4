"""Comparing an agreement with its family's consensus text; MinHash near-duplicates."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from disentangle.extract import extract_agreement
from disentangle.extract._clauses import clause_key, split_clauses
from disentangle.extract._minhash import MinHasher, candidate_pairs, clusters, estimate, shingles
from disentangle.extract._template import align, build_template, compare_to_template
from disentangle.model import Document, Page, PageMethod

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def document(name: str, edit: tuple[str, str] | None = None) -> Document:
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    if edit:
        assert edit[0] in text, edit[0]
        text = text.replace(edit[0], edit[1], 1)
    pages = [p for p in text.split("\f") if p.strip()]
    return Document(
        hashlib.sha256(text.encode()).hexdigest(),
        f"{name}.txt",
        "text/plain",
        [Page(i + 1, t, PageMethod.TEXT_LAYER) for i, t in enumerate(pages)],
    )


def test_a_member_matches_its_template() -> None:
    comparison = compare_to_template(document("franklin_tfm_2025"))
    counts = comparison.counts()
    assert comparison.status == "compared" and comparison.family == "287g-tfm-2025"
    assert counts["same"] >= 0.9 * sum(counts.values()) - counts["added"]
    assert counts["removed"] <= 3


@pytest.mark.parametrize(
    ("edit", "kind", "words"),
    [
        # A clause struck out: the template's clause is reported removed.
        (
            (
                "The LEA is also responsible for providing the\n"
                "necessary security equipment, such as handcuffs, leg restraints, etc.",
                "",
            ),
            "removed",
            "security equipment",
        ),
        # A clause rewritten: reported changed, with the new words.
        (
            (
                "Failure\nto adhere to the terms of the ISA could result in the loss of all user privileges.",
                "Failure\nto adhere to the terms of the ISA shall be cured within sixty days after written "
                "notice by the county.",
            ),
            "changed",
            "sixty days",
        ),
    ],
)
def test_deviations_are_found(edit: tuple[str, str], kind: str, words: str) -> None:
    baseline = compare_to_template(document("franklin_tfm_2025")).counts()
    comparison = compare_to_template(document("franklin_tfm_2025", edit))
    assert comparison.counts()[kind] > baseline[kind]
    texts = [(d.template_text or "") + (d.document_text or "") for d in comparison.diffs if d.kind == kind]
    assert any(words in t for t in texts)


# What OCR does to a clean page, each as the corpus's scans show it: a digit read as a letter and split off
# ("I 357(g)(8)"), "D" read as "O" ("FOO"), "ii" read as "ll" ("(vill)"), specks between words read as
# letters, a comma read as a full stop (so a sentence is cut in two), a small word dropped.
OCR_NOISE = (
    ("U.S.C. § 1357(g)(8).", "U.S.C. § I 357(g)(8)."),
    ("with the FOD or the FOD’s representative", "with the FOO or the FOD's representative"),
    ("(viii) liability issues", "(vill) liability issues"),
    ("Except as otherwise noted in this MOA", "Except aseotherwiseenoted inethis MOA"),
    ("incurred by reason of death, injury,", "incurred by reason of death. injury."),
    (
        "The termination of an agreement is generally reserved",
        "The termination of agreement is generally reserved",
    ),
)


def noisy(edit: tuple[str, str] | None = None) -> Document:
    clean = document("franklin_tfm_2025", edit)
    text = clean.pages_text() if hasattr(clean, "pages_text") else "\f".join(p.text for p in clean.pages)
    for before, after in OCR_NOISE:
        assert before in text, before
        text = text.replace(before, after, 1)
    return Document(
        hashlib.sha256(text.encode()).hexdigest(),
        "franklin_scan.txt",
        "text/plain",
        [Page(i + 1, t, PageMethod.OCR) for i, t in enumerate(text.split("\f"))],
    )


def deviating(document: Document) -> list[tuple[str, str]]:
    return [
        (d.kind, d.template_text or "")
        for d in compare_to_template(document).diffs
        if d.kind in ("changed", "removed")
    ]


def test_ocr_misreadings_are_not_deviations() -> None:
    clean = deviating(document("franklin_tfm_2025"))
    comparison = compare_to_template(noisy())
    assert deviating(noisy()) == clean, "the misread clauses are the template's own"
    misread = [d for d in comparison.diffs if d.misread]
    assert len(misread) >= 4 and all(d.kind == "same" for d in misread)
    assert any("I 357(g)(8)" in (d.document_text or "") for d in misread)
    assert comparison.to_json()["misread"] == len(misread)
    assert f"({len(misread)} of them read through OCR's misreadings)" in comparison.to_markdown()


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        # A number changed: 90 days' notice becomes 180 even where OCR noise surrounds it.
        (
            ("ICE will provide the LEA a 90-day notice", "ICE will provide the LEA a 180-day notice"),
            "90-day notice",
        ),
        (("party to this MOA within 48 hours.", "party to this MOA within 72 hours."), "within 48 hours"),
        # A negation added, a modal changed.
        (
            ("ICE will generally not terminate an agreement", "ICE will generally terminate an agreement"),
            "generally not",
        ),
        (
            (
                "activities carried out under this MOA may request representation",
                "activities carried out under this MOA must request representation",
            ),
            "may request representation",
        ),
        # An obligation's word inserted, and a word replaced by another that is no misreading of it.
        (
            ("as determined by ICE.", "as determined by ICE only after the county approves it."),
            "as determined by ICE",
        ),
        (
            ("ICE will certify in writing the names", "The Sheriff will certify in writing the names"),
            "ICE will certify",
        ),
    ],
)
def test_real_changes_are_flagged_through_ocr_noise(edit: tuple[str, str], words: str) -> None:
    for reading in (document("franklin_tfm_2025", edit), noisy(edit)):
        found = deviating(reading)
        assert len(found) > len(deviating(document("franklin_tfm_2025"))), edit
        assert any(words in template for _, template in found), (words, found)


def test_words_only_added_are_shown_filled_in_locally() -> None:
    # Inserted words without an obligation's word are a local fill-in (an address, a name): shown by
    # `compare` beside the template's words, not counted by `check` as a deviation. OCR noise changes nothing.
    edit = ("as determined by ICE.", "as determined by ICE (Field Office New Orleans).")
    for reading in (document("franklin_tfm_2025", edit), noisy(edit)):
        [local] = [d for d in compare_to_template(reading).diffs if "New Orleans)" in (d.document_text or "")]
        assert local.kind == "local"
    # With an obligation's word among them ("and", "only", "not"), the same insertion is a change.
    joint = ("as determined by ICE.", "as determined by ICE and the county commission.")
    assert any("as determined by ICE" in t for _, t in deviating(noisy(joint)))


@pytest.mark.parametrize(
    ("template", "reading", "misread"),
    [
        (["1357", "g", "8"], ["i", "357", "g", "8"], True),
        (["fod"], ["foo"], True),
        (["viii"], ["vill"], True),
        (["as", "otherwise", "noted"], ["aseotherwiseenoted"], True),
        (["of", "the"], ["ofthe"], True),
        (["the"], [], True),
        ([], ["e"], True),
        # Negative rows: what a misreading cannot explain.
        (["48"], ["72"], False),
        (["90", "day"], ["180", "day"], False),
        (["shall"], ["shall", "not"], False),
        (["may"], ["must"], False),
        (["ice"], ["sheriff"], False),
        (["the", "county", "commission"], [], False),
        ([], ["approved", "by", "the", "county"], False),
        (["security", "equipment"], ["sccurity", "cquipment", "and", "vehicles"], False),
    ],
)
def test_what_counts_as_a_misreading(template: list[str], reading: list[str], misread: bool) -> None:
    from disentangle.extract._template import _misread

    assert _misread(template, reading) is misread


def test_an_added_clause_is_found_with_its_page() -> None:
    added = "The County Commission may end this MOA at any public meeting by a majority vote of its members."
    comparison = compare_to_template(
        document(
            "franklin_tfm_2025",
            ("XVII.     MODIFICATION OF THIS MOA", added + "\nXVII.     MODIFICATION OF THIS MOA"),
        )
    )
    hits = [
        d for d in comparison.diffs if d.kind == "added" and "County Commission" in (d.document_text or "")
    ]
    assert hits and hits[0].page is not None and hits[0].start is not None


def test_redlines_escape_what_the_document_says() -> None:
    hostile = '<script>alert("x")</script> **bold** [link](http://x)'
    comparison = compare_to_template(
        document("franklin_tfm_2025", ("Modifications of this MOA must be proposed in writing", hostile))
    )
    html = comparison.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    markdown = comparison.to_markdown()
    assert "<script>" not in markdown and "\\*\\*bold\\*\\*" in markdown and "\\[link\\]" in markdown
    assert json.loads(json.dumps(comparison.to_json()))["counts"] == comparison.counts()


def test_no_template_and_unknown_family() -> None:
    assert compare_to_template(document("texas_oag_tfm_2025")).status == "no-template"  # one member only
    # A TFF MOU has its family now (agreements/templates.yaml), but no consensus text is built for it.
    tff = compare_to_template(document("tff_mou_synthetic"))
    assert (tff.status, tff.family) == ("no-template", "tff-mou-ice")
    letter = Document(
        "0" * 64,
        "letter.txt",
        "text/plain",
        [Page(1, "Dear neighbour, the fair is on.", PageMethod.TEXT_LAYER)],
    )
    assert compare_to_template(letter).status == "unknown-family"


def test_compare_accepts_an_extraction() -> None:
    extraction = extract_agreement(document("baker_wso_2019"))
    assert compare_to_template(extraction).family == "287g-wso-2019-2020"


def test_agency_names_become_lea_in_keys() -> None:
    assert clause_key(
        "The Baker County Sheriff's Office is responsible", ("Baker County Sheriffs Office",)
    ) == ("lea is responsible")
    assert clause_key(
        "The Clay County Sheriff's Office is responsible", ("Baker County Sheriffs Office",)
    ) != ("lea is responsible")


def test_align_keeps_order_and_marks_gaps() -> None:
    steps = align(
        ["alpha beta gamma", "delta epsilon zeta", "eta theta iota"],
        ["alpha beta gamma", "eta theta iota", "new words here"],
    )
    assert [(a, b) for a, b, _ in steps] == [(0, 0), (1, None), (2, 1), (None, 2)]


def test_consensus_takes_the_majority_wording() -> None:
    docs = [
        document("baker_wso_2019"),
        document("baker_wso_2019"),
        document("baker_wso_2019", ("within 48 hours", "within 72 hours")),
    ]
    members = [
        ({"doc_id": str(i), "url": "", "sha256": d.sha256}, split_clauses(d)) for i, d in enumerate(docs)
    ]
    template = build_template("test", "test", members)
    assert any("within 48 hours" in c.text for c in template.clauses)
    assert not any("within 72 hours" in c.text for c in template.clauses)


def test_minhash_near_duplicates() -> None:
    hasher = MinHasher.create()
    words = {
        name: " ".join(c.key for c in split_clauses(document(name))).split()
        for name in ("citrus_tfm_2025", "franklin_tfm_2025", "baker_wso_2019", "tff_mou_synthetic")
    }
    signatures = {name: hasher.signature(shingles(w)) for name, w in words.items()}
    assert estimate(signatures["citrus_tfm_2025"], signatures["citrus_tfm_2025"]) == 1.0
    assert estimate(signatures["citrus_tfm_2025"], signatures["franklin_tfm_2025"]) > 0.6
    assert estimate(signatures["citrus_tfm_2025"], signatures["tff_mou_synthetic"]) < 0.1
    assert ("citrus_tfm_2025", "franklin_tfm_2025") in candidate_pairs(signatures)
    groups = clusters(signatures, threshold=0.6)
    assert ["citrus_tfm_2025", "franklin_tfm_2025"] in groups
    assert ["tff_mou_synthetic"] in groups
