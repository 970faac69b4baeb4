"""Redaction before publishing: a generated records release (a jail's booking log with invented personal
data, born digital and scanned) is found, reviewed, blacked out and published; none of its personal data can
then be read from the published PDF by pypdfium2, pdftotext or Tesseract, the officials named in their role
stay, and the original is unchanged."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from disentangle.cli import main
from disentangle.errors import InputError
from disentangle.ingest import page_words
from disentangle.model import Box, PageWord, RedactionKind
from disentangle.publish._redaction import describe, recognizers, suggest
from disentangle.workspace import Workspace
from fixtures.records_release import OFFICIALS, PERSONAL, build_booking_log

# The agency's own records line, which the phone recogniser suggests and a reviewer drops: it is public.
OFFICE_PHONE = "(956) 555-0100"


def _normal(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(home: Path, *args: str) -> object:
    return CliRunner().invoke(main, ["--workspace", str(home), *args], catch_exceptions=False)


def _tesseract(path: Path) -> str:
    document = pdfium.PdfDocument(str(path))
    texts = []
    for index in range(len(document)):
        image = document[index].render(scale=300 / 72, grayscale=True).to_pil()
        picture = path.with_name(f"ocr-{index}.png")
        image.save(picture)
        done = subprocess.run(
            ["tesseract", str(picture), "stdout", "--dpi", "300", "-l", "eng"],
            capture_output=True,
            text=True,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
            check=True,
        )
        texts.append(done.stdout)
    document.close()
    return "\n".join(texts)


def _pdfium(path: Path) -> tuple[str, dict[str, str]]:
    document = pdfium.PdfDocument(str(path))
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    metadata = document.get_metadata_dict()
    document.close()
    return text, metadata


@pytest.mark.parametrize("fmt", ["pdf", "scan"])
def test_a_published_records_release_carries_no_personal_data(tmp_path: Path, fmt: str) -> None:
    release = build_booking_log(tmp_path / f"booking-log.{fmt}.pdf", fmt)
    release_sha = _sha256(release)
    home = tmp_path / "ws"
    workspace = Workspace(home)
    summary = workspace.ingest([release], workers=1)
    assert summary.failures == [] and summary.new == 1
    (sha256,) = workspace.documents.documents()
    assert sha256 == release_sha
    stored = workspace.documents.original_path(sha256)

    # what the machine suggests: every piece of personal data boxed, the officials not
    listed = _cli(home, "redact", sha256[:12])
    assert listed.exit_code == 0, listed.output  # type: ignore[attr-defined]
    found = json.loads(listed.stdout)  # type: ignore[attr-defined]
    assert found["reviewed"] is False and len(found["pages"]) == 2
    boxed = _normal(" ".join(r["text"] for r in found["redactions"]))
    for kind, values in PERSONAL.items():
        for value in values:
            assert _normal(value) in boxed or all(_normal(part) in boxed for part in value.split()), (
                kind,
                value,
            )
    kinds = {r["kind"] for r in found["redactions"]}
    assert kinds == {k.value for k in RedactionKind} - {"person"}
    for official in OFFICIALS:
        assert not any(
            set(_normal(official).split()) & {_normal(r["text"])} or official.split()[-1] in r["text"]
            for r in found["redactions"]
        ), official
    for r in found["redactions"]:
        assert set(r) >= {"n", "page", "box", "kind"} and len(r["box"]) == 4
    office = [r["n"] for r in found["redactions"] if r["text"] == OFFICE_PHONE]
    assert len(office) == 1

    # publishing waits for a person's review
    refused = _cli(home, "publish", "document", sha256[:12])
    assert refused.exit_code == 1  # type: ignore[attr-defined]
    assert "no person has reviewed" in refused.stderr  # type: ignore[attr-defined]

    # a person drops the office's public line and adds a box over the title's stray mark
    reviewed = _cli(home, "redact", sha256[:12], "--drop", str(office[0]), "--add", "1:700,40,760,60")
    assert reviewed.exit_code == 0, reviewed.output  # type: ignore[attr-defined]
    review = json.loads(reviewed.stdout)  # type: ignore[attr-defined]
    assert review["reviewed"] is True
    assert len(review["redactions"]) == len(found["redactions"])  # one dropped, one added
    assert review["redactions"][-1]["kind"] == "person" and review["redactions"][-1]["box"] == [
        700,
        40,
        760,
        60,
    ]

    published = _cli(home, "publish", "document", sha256[:12])
    assert published.exit_code == 0, published.output  # type: ignore[attr-defined]
    (copy,) = workspace.published_documents()
    assert copy.path.parent == home / "published" and copy.sha256 == sha256
    assert _sha256(copy.path) == copy.redacted_sha256 != sha256

    text, metadata = _pdfium(copy.path)
    poppler = subprocess.run(
        ["pdftotext", str(copy.path), "-"], capture_output=True, text=True, check=True
    ).stdout
    ocr = _tesseract(copy.path)
    raw = copy.path.read_bytes()
    for kind, values in PERSONAL.items():
        for value in values:
            for reader, extracted in (("pypdfium2", text), ("pdftotext", poppler), ("tesseract", ocr)):
                assert _normal(value) not in _normal(extracted), (reader, kind, value)
            assert value.encode() not in raw
    assert not any("quintanilla" in v.lower() for v in metadata.values()), metadata
    # what was not personal is still there to read, and so is the office's line the person kept
    for reader_text in (text, poppler):
        assert "Castellanos" in reader_text and "Whitfield" in reader_text
        assert _normal(OFFICE_PHONE) in _normal(reader_text)
        assert "Booking Log" in reader_text or "Booking" in reader_text

    # the original is untouched, in the library and on disk
    assert _sha256(stored) == sha256 and _sha256(release) == release_sha
    # the document is public now, and only its copy is: the export carries no review or subscriber
    with workspace.store.read() as connection:
        from sqlalchemy import select

        from disentangle.registry import tables as t

        public = connection.scalar(
            select(t.document_readings.c.public).where(t.document_readings.c.sha256 == sha256)
        )
    assert public is True
    written = workspace.export("csv", tmp_path / "export")
    assert not {"redaction_reviews", "published_documents", "subscriptions", "alerts_sent"} & set(written)
    workspace.close()


def test_apply_writes_a_new_file_and_never_the_original(tmp_path: Path) -> None:
    release = build_booking_log(tmp_path / "log.pdf", "pdf")
    workspace = Workspace(tmp_path / "ws")
    workspace.ingest([release], workers=1)
    (sha256,) = workspace.documents.documents()
    stored = workspace.documents.original_path(sha256)
    result = _cli(tmp_path / "ws", "redact", sha256[:12], "--apply", "--out", str(tmp_path / "copy.pdf"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "2 page(s)" in result.stderr  # type: ignore[attr-defined]
    assert (tmp_path / "copy.pdf").is_file() and _sha256(stored) == sha256
    with pytest.raises(InputError, match="cannot replace the original"):
        workspace.apply_redactions(sha256, stored)
    bad = _cli(tmp_path / "ws", "redact", sha256[:12], "--add", "9:1,2,3")
    assert bad.exit_code == 1  # type: ignore[attr-defined]
    assert bad.stderr.strip().startswith("error: a box is PAGE:x0,y0,x1,y1")  # type: ignore[attr-defined]
    off = _cli(tmp_path / "ws", "redact", sha256[:12], "--add", "3:10,10,50,50")
    assert off.exit_code == 1 and "the document has 2 page(s)" in off.stderr  # type: ignore[attr-defined]
    assert _cli(tmp_path / "ws", "redact", sha256[:12], "--apply").exit_code == 1  # type: ignore[attr-defined]
    workspace.close()


def _words(line: str, page: int = 1, top: float = 100.0) -> list[PageWord]:
    """A line of words laid out left to right, 6 points a character."""
    out, x = [], 72.0
    for word in line.split(" "):
        if word:
            out.append(PageWord(page, word, Box(x, top, x + 6 * len(word), top + 10)))
        x += 6 * (len(word) + 1)
    return out


@pytest.mark.parametrize(
    ("line", "officials", "expected"),
    [
        ("Inmate: Maria Lopez booked on a hold", (), {"person-name": "Maria Lopez"}),
        ("Subject: Jail Enforcement Model", (), {}),  # a label, but no person
        ("Sheriff Roberto Castellanos approved", (), {}),  # an official in his role
        ("Name: Roberto Castellanos", ("Roberto Castellanos",), {}),  # one of the document's signers
        ("DOB: 1/2/1990 and booked on 3/4/2024", (), {"birth-date": "1/2/1990"}),
        ("SSN 666-12-3456 is never issued", (), {}),
        ("SSN 123-45-6789 on file", (), {"ssn": "123-45-6789"}),
        ("Contact j.doe@example.org or ero.dallas@ice.dhs.gov", (), {"email": "j.doe@example.org"}),
        ("Alien number A 123 456 789 on the I-247A", (), {"alien-number": "A 123 456 789"}),
        ("Case No. 2023-CF-004411 set for trial", (), {"case-number": "2023-CF-004411"}),
        ("Booking # 24-001873 released", (), {"booking-number": "24-001873"}),
        ("Call 555-0199 or (512) 555-0199", (), {"phone": "(512) 555-0199"}),
        ("lives at 42 Elm Street Apt 3 with family", (), {"street-address": "42 Elm Street Apt 3"}),
        ("Section 287(g) of the Act, 8 U.S.C. 1357(g)", (), {}),
        # Names anywhere, with no label: a first name of the Census's lists and a capitalised surname.
        ("I spoke with Grace Okonkwo about the hold", (), {"person-name": "Grace Okonkwo"}),
        ("send the log of ARREVALO, DOMINGO R. today", (), {"person-name": "ARREVALO, DOMINGO R."}),
        ("her brother Domingo L. Arrevalo called twice", (), {"person-name": "Domingo L. Arrevalo"}),
        ("the Houston Field Office and Jefferson Co jail", (), {}),  # things, not people
        ("the jail of St. Augustine, Florida and Will County", (), {}),  # places
        ("on May Day the ICE officers came", (), {}),  # a month is no first name
        ("Chief Deputy Grace Okonkwo signed", (), {}),  # an official in her role
        ("approved by Todd M. Lyons for ICE", ("Todd M. Lyons",), {}),  # a known ICE signer
    ],
)
def test_recognisers(line: str, officials: tuple[str, ...], expected: dict[str, str]) -> None:
    found = suggest(_words(line), officials)
    assert {r.kind.value: r.text for r in found} == expected


def test_a_table_column_under_its_header() -> None:
    header = _words("Booking No.     Name                DOB             Hold", top=100)
    row = _words("X-7731          DOE, JANE           4/5/1988        ICE", top=115)
    prose = _words("The table ends here and 6/7/2001 is not a birth date.", top=140)
    found = suggest(header + row + prose)
    assert {(r.kind.value, r.text) for r in found} == {
        ("booking-number", "X-7731"),
        ("person-name", "DOE, JANE"),
        ("birth-date", "4/5/1988"),
    }


def test_the_recognisers_are_declared_with_their_sources() -> None:
    known = recognizers()
    assert {r.kind for r in known.recognizers} == set(RedactionKind) - {RedactionKind.PERSON}
    assert known.names is not None and {"maria", "domingo", "grace"} <= known.names.first
    assert not {"may", "june", "august"} & known.names.first  # months are not taken for first names
    assert "census-name" in {entry["id"] for entry in describe()}
    for entry in describe():
        assert entry["label"] and entry["description"] and entry["source"]["url"].startswith("https://")


def test_words_of_a_scan_and_of_its_text_layer_agree(tmp_path: Path) -> None:
    born = page_words(build_booking_log(tmp_path / "a.pdf", "pdf"))
    scan = page_words(build_booking_log(tmp_path / "b.pdf", "scan"))
    boxes: dict[str, list[Box]] = {}
    for w in born:
        if w.page == 1:
            boxes.setdefault(w.text, []).append(w.box)
    same = [w for w in scan if w.page == 1 and w.text in boxes]
    assert len(same) > 40  # OCR reads most words as the text layer has them
    for w in same:
        # the same place on the page: left edges within 6 points (a character), on the same line
        assert any(abs(w.box.x0 - b.x0) < 6 and w.box.y0 < b.y1 and b.y0 < w.box.y1 for b in boxes[w.text]), w


def test_the_signers_of_an_agreement_are_officials_and_stay(tmp_path: Path) -> None:
    """A generated TFF MOU's signature blocks label each signer "Name:"; the signature reading names them, so
    no box covers them, while the same words without that reading would be boxed as a person's name."""
    from fixtures.tff import VARIANTS, build_tff_mou

    mou = build_tff_mou(tmp_path / "mou.pdf", "seed", fmt="pdf")
    workspace = Workspace(tmp_path / "ws")
    workspace.ingest([mou], workers=1)
    (sha256,) = workspace.documents.documents()
    signers = [s["name"] for s in workspace.reading(sha256)["extraction"]["signatories"] if s.get("name")]
    assert sorted(signers) == sorted(s.name for s in VARIANTS["seed"].signers)
    suggested = workspace.redaction_suggestions(sha256)
    assert not [r for r in suggested if r.kind is RedactionKind.PERSON_NAME]
    unguarded = suggest(page_words(workspace.documents.original_path(sha256)), ())
    assert {r.text for r in unguarded if r.kind is RedactionKind.PERSON_NAME} & set(signers)
    workspace.close()


def test_a_name_list_that_cannot_be_read_is_one_clear_error(tmp_path: Path) -> None:
    from disentangle.errors import KnowledgeError
    from disentangle.publish._redaction import _name_lists

    entry = {
        "id": "census-name",
        "kind": "person-name",
        "label": "names",
        "description": "names",
        "source": {"label": "Census", "url": "https://www.census.gov/"},
        "first": ["no-such-list.txt"],
    }
    with pytest.raises(KnowledgeError, match=r"recognizers.yaml: name list no-such-list.txt"):
        _name_lists(entry)
    with pytest.raises(KnowledgeError, match="name_lists has no first"):
        _name_lists({**entry, "first": []})


def test_the_workspace_counts_the_ice_signers_as_officials(tmp_path: Path) -> None:
    """A released letter naming an ICE signer and a private person: only the person is suggested."""
    letter = tmp_path / "letter.txt"
    letter.write_text("Todd M. Lyons wrote that Grace Okonkwo was transferred.\n", encoding="utf-8")
    workspace = Workspace(tmp_path / "ws")
    sha256 = workspace.store_document(letter).sha256
    officials = workspace._officials(sha256)
    assert "Todd M. Lyons" in officials
    words = _words("Todd M. Lyons wrote that Grace Okonkwo was transferred.")
    assert [r.text for r in suggest(words, officials)] == ["Grace Okonkwo"]
    workspace.close()


def test_the_review_page_names_each_kind_in_the_readers_language(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from disentangle.web import create_app

    workspace = Workspace(tmp_path / "ws")
    sha256 = workspace.store_document(build_booking_log(tmp_path / "log.pdf")).sha256
    with TestClient(create_app(workspace, cache_seconds=0), base_url="http://127.0.0.1") as client:
        english = client.get(f"/en/documents/{sha256}/redact").text
        spanish = client.get(f"/es/documents/{sha256}/redact").text
    assert '<span class="kind">date of birth</span>' in english
    assert '<span class="kind">fecha de nacimiento</span>' in spanish
    assert '<span class="kind">número de Seguro Social</span>' in spanish
    assert ">birth-date<" not in spanish and ". birth-date</title>" not in spanish
    workspace.close()
