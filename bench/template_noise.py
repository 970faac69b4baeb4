"""False template deviations on scanned agreements: how many clauses `check` and `compare` call changed or
removed only because OCR misread them.

    python bench/template_noise.py [--corpus ../shared/corpus/moa] [--limit N] [--show] [--json]

Two measures, both on the real 287(g) corpus:

- twins: text-layer PDFs of the corpus are rendered to 200-dpi page images and read back with Tesseract, as a
  scan of that very document would be, and compared with their family's template beside their own text layer
  (pdftotext). The words are the same, so a clause that deviates in the OCR reading but not in the text layer
  is a false deviation, and one that deviates in the text layer but not in the OCR reading is a deviation the
  reading hid. Both counts are exact. Twins whose text layer shows no deviation at all are counted apart.
- scans: the corpus's image-only scans (has_text_layer False), read as ingest reads them (300-dpi OCR), with
  the deviations reported per agreement. They have no text twin; `--show` prints each deviation to check by
  eye whether the clause really differs.

OCR readings are cached under /tmp (DISENTANGLE_EVAL_CACHE), keyed by the PDF and the reading code, so a
second run takes seconds.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import extract_eval  # noqa: E402
from disentangle.extract import compare_to_template, extract_agreement  # noqa: E402
from disentangle.model import Document, Page, PageMethod  # noqa: E402

TWIN_DPI = 200
DEVIATING = ("changed", "removed")  # what `check` reports as template deviations (added text is not)


def deviations(document: Document) -> list[dict[str, Any]]:
    comparison = compare_to_template(extract_agreement(document))
    return [
        {
            "kind": d.kind,
            "clause": d.template_id,
            "section": d.section,
            "template": d.template_text,
            "document": d.document_text,
        }
        for d in comparison.diffs
        if d.kind in DEVIATING
    ]


def ocr_twin(pdf: Path) -> Document:
    """The PDF's pages rendered at TWIN_DPI and read with Tesseract, ignoring its text layer (cached)."""
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    cached = extract_eval.CACHE_DIR / f"twin-{digest}-{TWIN_DPI}-{extract_eval.reader_version()}.json"
    if cached.exists():
        return extract_eval._from_json(json.loads(cached.read_text()))
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import pypdfium2

    from disentangle.ingest._ocr import encode_for_tesseract, recognize

    pages = []
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        for index in range(len(document)):
            image = document[index].render(scale=TWIN_DPI / 72, grayscale=True).to_pil()
            text = recognize(encode_for_tesseract(image), TWIN_DPI, "eng")
            method = PageMethod.OCR if text.text.strip() else PageMethod.EMPTY
            pages.append(Page(index + 1, text.text, method, text.confidence))
    finally:
        document.close()
    twin = Document(digest, pdf.name, "application/pdf", pages)
    extract_eval.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(extract_eval._to_json(twin)))
    return twin


def measure(corpus: Path, limit: int | None) -> dict[str, Any]:
    with (corpus / "labels.csv").open(encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: row["doc_id"])
    twins: list[dict[str, Any]] = []
    scans: list[dict[str, Any]] = []
    for row in rows:
        if row["has_text_layer"] == "True" and row["pdftotext"] and row["pdf"]:
            if limit is not None and len(twins) >= limit:
                continue
            text = extract_eval._text_document(corpus / row["pdftotext"])
            if extract_eval._needs_ocr(text):
                continue  # a broken text layer is no reference
            own = deviations(text)
            read = deviations(ocr_twin(corpus / row["pdf"]))
            in_text = {d["clause"] for d in own}
            in_reading = {d["clause"] for d in read}
            twins.append(
                {
                    "doc_id": row["doc_id"],
                    "text_deviations": len(own),
                    "deviations": [d for d in read if d["clause"] not in in_text],  # false: OCR only
                    "hidden": [d for d in own if d["clause"] not in in_reading],  # real, lost in the reading
                }
            )
        elif row["has_text_layer"] == "False" and row["pdf"]:
            found = deviations(extract_eval.read_pdf_with_ocr(corpus / row["pdf"]))
            scans.append({"doc_id": row["doc_id"], "deviations": found})
    return {"twins": twins, "scans": scans}


def summary(items: list[dict[str, Any]]) -> dict[str, Any]:
    counts = [len(item["deviations"]) for item in items]
    out = {
        "documents": len(items),
        "deviations": sum(counts),
        "per_document": round(sum(counts) / len(counts), 2) if counts else 0.0,
        "documents_with_none": sum(1 for n in counts if n == 0),
        "max": max(counts, default=0),
        "by_kind": dict(Counter(d["kind"] for item in items for d in item["deviations"])),
    }
    if items and "hidden" in items[0]:
        clean = [item for item in items if item["text_deviations"] == 0]
        out["hidden"] = sum(len(item["hidden"]) for item in items)
        out["text_deviations"] = sum(item["text_deviations"] for item in items)
        out["clean_text_twins"] = len(clean)
        out["false_on_clean_twins"] = sum(len(item["deviations"]) for item in clean)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=extract_eval.DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, help="At most N twins (they are OCRed on the first run).")
    parser.add_argument("--show", action="store_true", help="Print every deviation found.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.corpus, args.limit)
    report = {"twins": summary(result["twins"]), "scans": summary(result["scans"])}
    if args.json:
        print(json.dumps({**report, "details": result} if args.show else report, indent=2))
        return
    for group, label in (("twins", "text-layer twins read by OCR"), ("scans", "image-only scans")):
        s = report[group]
        print(
            f"{label}: {s['documents']} documents, {s['deviations']} "
            f"{'false ' if group == 'twins' else ''}deviations ({s['per_document']} per document, max "
            f"{s['max']}), {s['documents_with_none']} with none; {s['by_kind']}"
        )
        if group == "twins" and s["documents"]:
            print(
                f"  their text layers: {s['text_deviations']} deviations, {s['hidden']} of them not found in "
                f"the OCR reading; {s['clean_text_twins']} twins with a clean text layer: "
                f"{s['false_on_clean_twins']} false deviations"
            )
    if args.show:
        for group, key in (("twins", "deviations"), ("twins", "hidden"), ("scans", "deviations")):
            for item in result[group]:
                for d in item.get(key, []):
                    print(f"\n[{group} {key}] {item['doc_id']} — {d['kind']} in {d['section']}")
                    print(f"  template: {d['template']}")
                    print(f"  document: {d['document']}")


if __name__ == "__main__":
    main()
