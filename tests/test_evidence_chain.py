"""One evidence chain from page to letter: what `check` flags and what the notice of invalidity puts in
quotation marks are words of the agreement's own pages (or of the statute cited), each with its page.

The walk covers the TFF MOU variant families (tests/fixtures/tff.py) and the real 287(g) agreements of the
shared corpus (a sample of its text layers; every one with DISENTANGLE_EVAL_ALL=1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from disentangle import letters
from disentangle.extract import extract_agreement
from disentangle.ingest import read_document
from disentangle.workspace import Workspace
from fixtures.evidence import assert_letter_quotes_its_sources, fold, pages_of
from fixtures.tff import VARIANTS, build_tff_mou

SHARED = Path(__file__).parents[1].parent / "shared"
CORPUS = SHARED / "corpus" / "moa"
POLICY = Path(__file__).parent / "fixtures" / "policy"
SB54 = POLICY / "CA_SB54_2017_Ch495_California_Values_Act_Gov_Code_7282-7284.12.txt"
NYC_10_178 = POLICY / "NYC_LL2017-228_Int1568-2017_Immigration_Enforcement_Admin_Code_10-178.txt"
SENDER = letters.Sender(name="A. Manager", title="City Manager", body="City of Pasadena")


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "disentangle", "--workspace", str(home), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_pasadena_mou_json_has_the_authority_flag_and_the_values_act_conflict(
    registry: Workspace, tmp_path: Path
) -> None:
    """`disentangle check FILE --place "Pasadena, CA" --format json` on the seed-worded MOU as a PDF."""
    mou = build_tff_mou(tmp_path / "pasadena_mou.pdf", "seed", "pdf")
    done = run(registry.home, "check", str(mou), "--place", "Pasadena, CA", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["kind"] == "tff-mou" and result["agency"]["state"] == "CA"
    [flag] = [f for f in result["flags"] if f["code"] == "no-authority"]
    assert flag["severity"] == "error" and flag["rule"] == "pasadena-city-manager"
    document = read_document(mou)
    pages = pages_of(document)
    quotes = {e["quote"] for e in flag["evidence"]}
    assert {"Phillip L. Sanchez", "Chief of Police", "11/15/2016"} <= quotes
    assert all(fold(e["quote"]) in pages[e["page"]] for e in flag["evidence"])
    # Both quotes of the conflict: the whole assignment clause, and § 7284.6(a)(1) of the Values Act.
    conflicts = [c for c in result["conflicts"] if "7284.6" in (c["against"]["citation"] or "")]
    assert conflicts
    clause = (
        "To the maximum extent possible, the Pasadena Police Department shall assign dedicated officers to "
        "investigations and joint operations."
    )
    for conflict in conflicts:
        assert conflict["obligation"]["text"] == clause and conflict["obligation"]["page"] == 2
        assert conflict["obligation"]["agreement_kind"] == "tff-mou"
        assert fold(conflict["against"]["quote"]) in fold(SB54.read_text(encoding="utf-8"))


def test_check_uses_the_place_given_when_the_agency_is_not_read(registry: Workspace, tmp_path: Path) -> None:
    """An MOU whose preamble names no agency: judged under the place given, not refused with "give
    --place"."""
    text = build_tff_mou(tmp_path / "seed.txt", "seed", "txt").read_text()
    text = text.replace("the Pasadena Police Department", "the agency").replace("CA0195300", "")
    text = text.replace("Pasadena Police Department", "the agency")
    path = tmp_path / "unnamed.txt"
    path.write_text(text)
    assert extract_agreement(read_document(path)).agency_name is None
    done = run(registry.home, "check", str(path), "--format", "json")
    assert done.returncode != 0 and "give --place" in done.stderr
    done = run(registry.home, "check", str(path), "--place", "Pasadena, CA", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["jurisdiction"]["name"] == "Pasadena" and result["jurisdiction"]["given"]
    assert result["agency"]["read"] is False
    assert "no-authority" in {f["code"] for f in result["flags"]}
    assert any("7284.6" in (c["against"]["citation"] or "") for c in result["conflicts"])


def test_check_sets_the_mou_against_nyc_admin_code_10_178(registry: Workspace, tmp_path: Path) -> None:
    mou = build_tff_mou(tmp_path / "mou.txt", "ice-hsi-named-title", "txt")
    result = registry.check_agreement(mou, policy_files=[NYC_10_178])
    policy = [c for c in result["conflicts"] if c["against"]["kind"] == "policy"]
    assert policy, result["conflicts"]
    nyc = fold(NYC_10_178.read_text(encoding="utf-8"))
    for conflict in policy:
        assert fold(conflict["against"]["quote"]) in nyc
        assert conflict["obligation"]["text"].startswith("To the maximum extent possible")


@pytest.mark.parametrize("key", sorted(VARIANTS))
def test_notice_of_invalidity_quotes_only_the_agreement(
    registry: Workspace, tmp_path: Path, key: str
) -> None:
    """The notice for each variant family, judged for a place whose rule the chief cannot meet (Pasadena):
    only verbatim words of the MOU's pages or of the law the flag cites are in quotation marks."""
    path = build_tff_mou(tmp_path / f"{key}.txt", key, "txt")
    document = read_document(path)
    letter = registry.invalidity_notice(path, SENDER, today=date(2026, 12, 6), place="Pasadena, CA")
    flags = registry.check_agreement(path, place="Pasadena, CA")["flags"]
    rules = " ".join(fold(f.get("rule_quote") or "") for f in flags)
    assert_letter_quotes_its_sources(letter.markdown, pages_of(document), rules)
    assert "page" in letter.markdown and str(path) not in letter.markdown


def _corpus_documents() -> list[Path]:
    if not (CORPUS / "labels.csv").exists():
        return []
    files = sorted((CORPUS / "pdf").glob("*.pdf")) if (CORPUS / "pdf").exists() else []
    return files if os.environ.get("DISENTANGLE_EVAL_ALL") == "1" else files[::20]


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "labels.csv").exists(), reason=f"{CORPUS} (the shared corpus) is absent")
def test_corpus_flags_and_letters_quote_their_pages(registry: Workspace) -> None:
    """Every flag built from the corpus (a sample of its agreements) quotes words of the page it names, and
    every
    notice of invalidity drafted from them quotes only the agreement or the rule's law."""
    files = _corpus_documents()
    assert files, f"no PDFs under {CORPUS / 'pdf'}"
    checked = 0
    for path in files:
        document = read_document(path, ocr=False)
        extraction = extract_agreement(document)
        if extraction.kind == "unknown":
            continue
        pages = pages_of(document)
        try:
            judged = registry.check_extraction(extraction)
        except Exception:
            continue
        for flag in judged["flags"]:
            for evidence in flag["evidence"]:
                assert fold(evidence["quote"]) in pages[evidence["page"]], (path.name, flag["code"], evidence)
                checked += 1
        for conflict in judged["conflicts"]:
            obligation = conflict["obligation"]
            assert fold(obligation["text"]) in pages[obligation["page"]], (path.name, obligation)
        if any(f["severity"] == "error" and f["evidence"] for f in judged["flags"]):
            letter = registry.invalidity_notice_for(extraction, SENDER, today=date(2026, 12, 6))
            rules = " ".join(fold(f.get("rule_quote") or "") for f in judged["flags"])
            assert_letter_quotes_its_sources(letter.markdown, pages, rules)
    assert checked > 0
