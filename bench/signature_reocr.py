"""Does a second, sharper OCR pass over a scan's signature pages read more of its signature blocks?

    python bench/signature_reocr.py [--corpus ../shared/corpus/moa] [--dpi 400 300]

For every hand-labelled image-only scan (bench/labels/), the pages its signature blocks are on are rendered
again from the PDF at --dpi, and read by Tesseract (OMP_THREAD_LIMIT=1) in variants: as rendered; grey with
the contrast stretched (autocontrast, 1 % cut); the same deskewed (the angle within ±3° whose rows of ink are
sharpest). Each variant's page text replaces the first reading's (ingest's 300-dpi pass) and the agreement is
extracted again, used as it is ("instead") and as a filler of the fields the first reading left for a person
("filling the first pass's gaps"); the labelled signature fields are scored with the review states: values
read and right, read and wrong (precision), flagged. Page readings are cached under DISENTANGLE_REOCR_CACHE
(default /tmp/disentangle-reocr-cache) by PDF digest, page, dpi and variant, so a second run takes seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import extract_eval as ee  # noqa: E402
from disentangle.extract import extract_agreement  # noqa: E402
from disentangle.model import Document, Page, PageMethod  # noqa: E402

CACHE = Path(os.environ.get("DISENTANGLE_REOCR_CACHE", "/tmp/disentangle-reocr-cache"))
VARIANTS = ("plain", "contrast", "deskew")


def _deskewed(image):  # type: ignore[no-untyped-def]
    """The image turned by the angle (±3°, 0.5° steps) whose rows of ink vary most: lines level. Row means
    come from squeezing the image to one pixel wide (PIL's box filter), so no array library is needed."""
    from PIL import Image

    small = image.resize((image.width // 4, image.height // 4))
    best, best_angle = -1.0, 0.0
    for step in range(-6, 7):
        angle = step / 2
        rows = list(
            small.rotate(angle, fillcolor=255)
            .resize((1, small.height), Image.Resampling.BOX)
            .get_flattened_data()
        )
        mean = sum(rows) / len(rows)
        score = sum((v - mean) ** 2 for v in rows) / len(rows)
        if score > best:
            best, best_angle = score, angle
    return image.rotate(best_angle, fillcolor=255, expand=False) if best_angle else image


def read_page(pdf: Path, number: int, dpi: int, variant: str) -> tuple[str, float | None]:
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()[:16]
    cached = CACHE / f"{digest}-p{number}-{dpi}-{variant}.json"
    if cached.exists():
        data = json.loads(cached.read_text())
        return data["text"], data["confidence"]
    import pypdfium2
    from PIL import ImageOps

    from disentangle.ingest._ocr import encode_for_tesseract, recognize

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[number - 1].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        document.close()
    if variant in ("contrast", "deskew"):
        image = ImageOps.autocontrast(image, cutoff=1)
    if variant == "deskew":
        image = _deskewed(image)
    text = recognize(encode_for_tesseract(image), dpi, "eng")
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps({"text": text.text, "confidence": text.confidence}))
    return text.text, text.confidence


def with_pages(document: Document, pages: dict[int, tuple[str, float | None]]) -> Document:
    return Document(
        document.sha256,
        document.filename,
        document.media_type,
        [
            Page(p.number, pages[p.number][0], PageMethod.OCR, pages[p.number][1]) if p.number in pages else p
            for p in document.pages
        ],
    )


def records(item: ee.CorpusItem, document: Document, label: dict[str, Any]) -> list[Any]:
    """The review records of the labelled signature fields, in the label's order."""
    result = extract_agreement(document)
    moved = ee.CorpusItem(item.row, document, item.group, item.route)
    return [r for r in ee.review_records(moved, result, label) if r.kind.startswith("signatory.")]


def count(rows: list[Any]) -> Counter[str]:
    out: Counter[str] = Counter()
    for r in rows:
        field = r.kind.split(".")[1]
        if r.read(0.0):
            out[f"{field} read right" if r.correct else f"{field} read WRONG"] += 1
        else:
            out[f"{field} flagged"] += 1
    return out


def filled(first: list[Any], second: list[Any]) -> list[Any]:
    """The first reading, with a field it left for a person taken from the second when the second reads it
    (plausible, not doubted)."""
    return [a if a.read(0.0) or not b.read(0.0) else b for a, b in zip(first, second, strict=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ee.DEFAULT_CORPUS)
    parser.add_argument("--dpi", type=int, nargs="+", default=[400, 300])
    args = parser.parse_args(argv)
    labels = ee.load_labels()
    totals: dict[str, Counter[str]] = {"first pass (300 dpi)": Counter()}
    import csv

    with (args.corpus / "labels.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["has_text_layer"] == "False" and r["doc_id"] in labels]
    for row in rows:
        item = ee.CorpusItem(row, ee.read_pdf_with_ocr(args.corpus / row["pdf"]), "scan", "ocr")
        label = labels[row["doc_id"]]
        pdf = args.corpus / row["pdf"]
        numbers = sorted({s["page"] for s in label["signatories"] if s.get("page")})
        base = records(item, item.document, label)
        totals["first pass (300 dpi)"] += count(base)
        print(row["doc_id"], "pages", numbers, dict(count(base)), flush=True)
        for dpi in args.dpi:
            for variant in VARIANTS:
                pages = {n: read_page(pdf, n, dpi, variant) for n in numbers}
                again = records(item, with_pages(item.document, pages), label)
                for name, rows_read in (
                    (f"{variant}, {dpi} dpi, instead", again),
                    (f"{variant}, {dpi} dpi, filling the first pass's gaps", filled(base, again)),
                ):
                    totals.setdefault(name, Counter()).update(count(rows_read))
                    print("   ", name, dict(count(rows_read)), flush=True)
    keys = sorted({k for c in totals.values() for k in c})
    print("\n| reading | " + " | ".join(keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for name, counts in totals.items():
        print(f"| {name} | " + " | ".join(str(counts[k]) for k in keys) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
