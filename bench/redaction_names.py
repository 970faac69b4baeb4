"""Names found anywhere on a page (the Census name lists) against real agreements and an invented release.

Two measures, in one run:

    false suggestions  the 287(g) agreements of the corpus with a text layer name only officials in their
                       public role; every person-name box suggested on them is one a reviewer must untick.
                       Officials are what the workspace passes: the signature blocks' names (extraction)
                       and the known ICE signers; names after an official title are skipped by the rules.
    found              the invented records releases of the tests (tests/fixtures/records_release.py, a
                       booking log, plus a letter in prose naming the same people): every private name must
                       be suggested; the officials must not be.

Each is measured with the Census lists and without them (the context rules alone), so the lists' gain and
cost are shown side by side. Results go into docs/publishing.md between the bench markers.

Run: `.venv/bin/python bench/redaction_names.py [--corpus ../shared/corpus/moa]`
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from disentangle import ingest  # noqa: E402
from disentangle.errors import DisentangleError  # noqa: E402
from disentangle.extract import extract_agreement  # noqa: E402
from disentangle.extract._signers import known_ice_signers  # noqa: E402
from disentangle.model import PageWord, RedactionKind  # noqa: E402
from disentangle.publish._redaction import Recognizers, recognizers, suggest  # noqa: E402
from fixtures import records_release  # noqa: E402

DOC = ROOT / "docs" / "publishing.md"
BEGIN, END = "<!-- bench:redaction-names begin -->", "<!-- bench:redaction-names end -->"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "moa"

LETTER = """Dear Records Custodian Patricia Whitfield,
On March 3 I spoke with Marisol Quintanilla and her brother Domingo Arrevalo about the hold.
Grace Okonkwo was released to ICE on 07/02/2024. Please also send the log of ARREVALO, DOMINGO.
Sheriff Roberto Castellanos signed the reply.
"""
PRIVATE_IN_LETTER = ("Marisol Quintanilla", "Domingo Arrevalo", "Grace Okonkwo", "ARREVALO, DOMINGO")


def names(words: list[PageWord], officials: list[str], known: Recognizers) -> list[str]:
    return [r.text for r in suggest(words, officials, known=known) if r.kind is RedactionKind.PERSON_NAME]


def letter_words() -> list[PageWord]:
    """The prose letter as page words (one line a row, a word a box): what a text layer gives."""
    from disentangle.model import Box

    out = []
    for row, line in enumerate(LETTER.splitlines()):
        x = 72.0
        for token in line.split():
            out.append(PageWord(1, token, Box(x, 72.0 + 14 * row, x + 6 * len(token), 84.0 + 14 * row)))
            x += 6 * len(token) + 4
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    with_lists = recognizers()
    without = replace(with_lists, names=None)
    ice = [name for signer in known_ice_signers() for name in (signer.name, *signer.also)]

    documents, pages = 0, 0
    false: dict[str, Counter[str]] = {"with": Counter(), "without": Counter()}
    for path in sorted(args.corpus.rglob("*.pdf")):
        try:
            document = ingest.read_document(path, ocr=False)
            if not all(page.text.strip() for page in document.pages):
                continue  # a scan, or pages without text: their words would come from OCR
            words = ingest.page_words(path)
        except DisentangleError:
            continue
        documents += 1
        pages += len(document.pages)
        signed = [s.name for s in extract_agreement(document).signatories if s.name]
        for label, known in (("with", with_lists), ("without", without)):
            false[label].update(names(words, signed + ice, known))

    with tempfile.TemporaryDirectory() as scratch:
        log = records_release.build_booking_log(Path(scratch) / "log.pdf")
        log_words = ingest.page_words(log)
    found: dict[str, tuple[int, int, int]] = {}
    for label, known in (("with", with_lists), ("without", without)):
        in_log = " | ".join(names(log_words, [], known))
        in_letter = " | ".join(names(letter_words(), [], known))
        wanted = [*records_release.PERSONAL["person-name"], *PRIVATE_IN_LETTER]
        hit = sum(1 for name in records_release.PERSONAL["person-name"] if name in in_log)
        hit += sum(1 for name in PRIVATE_IN_LETTER if name in in_letter)
        kept = sum(
            1 for name in records_release.OFFICIALS if name in in_log or name in in_letter
        )  # officials suggested: should be 0
        found[label] = (hit, len(wanted), kept)

    rows = [
        f"| {label} the Census lists | {sum(false[label].values())} ({len(false[label])} distinct) | "
        f"{sum(false[label].values()) / max(1, documents):.2f} | {found[label][0]} of {found[label][1]} | "
        f"{found[label][2]} |"
        for label in ("without", "with")
    ]
    worst = ", ".join(f"{name} ({count})" for name, count in false["with"].most_common(8))
    lines = [
        BEGIN,
        f"Measured {date.today().isoformat()}: {documents} agreements of the corpus with a text layer "
        f"({pages} pages), and the invented booking log and letter of the tests.",
        "",
        "| recognisers | person-name boxes suggested on the agreements (all officials or things) | per "
        "agreement | private names found in the release and letter | officials suggested there |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"Most frequent suggestions on the agreements with the lists: {worst or 'none'}.",
        END,
    ]
    print("\n".join(lines))
    if not args.no_doc:
        text = DOC.read_text(encoding="utf-8")
        block = "\n".join(lines)
        if BEGIN in text:
            text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
        else:
            text = text.replace(
                "### Review, on the command line", block + "\n\n### Review, on the command line"
            )
        DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
