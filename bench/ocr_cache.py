"""OCR image-only scans once and cache the page texts under /tmp (the eval's fallback without ingest)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

CACHE_DIR = Path(os.environ.get("DISENTANGLE_OCR_CACHE", "/tmp/disentangle-ocr-cache"))


def ocr_pages(pdf: Path, dpi: int = 300) -> list[tuple[str, float | None]]:
    """Each page's OCR text and mean word confidence, cached by the PDF's sha256."""
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    cached = CACHE_DIR / f"{digest}-{dpi}.json"
    if cached.exists():
        return [(p["text"], p["confidence"]) for p in json.loads(cached.read_text())]
    import pypdfium2
    import pytesseract

    pages: list[dict[str, object]] = []
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        for index in range(len(document)):
            image = document[index].render(scale=dpi / 72).to_pil()
            data = pytesseract.image_to_data(image, output_type=pytesseract.Output.DICT)
            confidences = [float(c) for c in data["conf"] if float(c) >= 0]
            text = _text_from_data(data)
            pages.append(
                {"text": text, "confidence": sum(confidences) / len(confidences) if confidences else None}
            )
    finally:
        document.close()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(pages))
    return [(p["text"], p["confidence"]) for p in pages]  # type: ignore[misc]


def _text_from_data(data: dict[str, list[object]]) -> str:
    """Rebuild plain text from Tesseract's word boxes: one pass instead of image_to_string again."""
    lines: list[str] = []
    current: tuple[object, ...] | None = None
    words: list[str] = []
    for block, par, line, word in zip(
        data["block_num"], data["par_num"], data["line_num"], data["text"], strict=True
    ):
        key = (block, par, line)
        if key != current:
            if words:
                lines.append(" ".join(words))
            if current is not None and key[:2] != current[:2]:
                lines.append("")
            current, words = key, []
        if str(word).strip():
            words.append(str(word))
    if words:
        lines.append(" ".join(words))
    return "\n".join(lines).strip() + "\n"


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(name, len(ocr_pages(Path(name))), flush=True)
