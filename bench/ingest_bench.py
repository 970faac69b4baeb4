"""Ingest speed and memory against the plain tools; writes its numbers into docs/ingest.md.

    .venv/bin/python bench/ingest_bench.py            # everything (about five minutes on two cores)
    .venv/bin/python bench/ingest_bench.py --quick    # fewer rounds and OCR pages, to try it out

(a) born-digital ingest throughput (pages/s) over the corpus text-layer PDFs vs pypdfium2 text alone;
(b) OCR seconds per page vs the `tesseract` CLI on the same 300-dpi images, and the two-process speed-up;
(c) peak RSS reading and storing a 2,000-page PDF, measured in a fresh subprocess.

    .venv/bin/python bench/ingest_bench.py --signatures   # what the layout does for the extractor

scores extract_agreement's hand-labelled fields (bench/extract_eval.py) on the text-layer labelled agreements
read by read_document(ocr=False), with and without the layout tool, and from the corpus's pdftotext files.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium

from disentangle.ingest import DocumentStore, ingest_paths, read_document
from disentangle.ingest._ocr import tesseract_environment
from disentangle.model import Document

CHECKOUT = Path(__file__).resolve().parents[1]
CORPUS = CHECKOUT.parent / "shared" / "corpus" / "moa"
FIXTURES = CHECKOUT / "tests" / "fixtures" / "ingest"
DOCS = CHECKOUT / "docs" / "ingest.md"
START, END = "<!-- ingest-bench:start -->", "<!-- ingest-bench:end -->"


def corpus_pdfs(has_text_layer: bool) -> list[Path]:
    if not CORPUS.is_dir():
        return []
    with (CORPUS / "labels.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    wanted = "True" if has_text_layer else "False"
    return [CORPUS / r["pdf"] for r in rows if r["pdf"] and r["has_text_layer"] == wanted]


def timed(run: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    pages = run()
    return time.perf_counter() - start, pages


def pdfium_text_only(paths: list[Path]) -> int:
    pages = 0
    for path in paths:
        document = pdfium.PdfDocument(path)
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
            pages += 1
        document.close()
    return pages


def pdftotext_layout_only(paths: list[Path]) -> int:
    """Poppler's layout text, which the PDF ingestor uses for text-layer pages, one process per file."""
    pages = 0
    for path in paths:
        done = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", "-q", str(path), "-"], capture_output=True, check=True
        )
        pages += done.stdout.count(b"\f")
    return pages


def read_only(paths: list[Path]) -> int:
    return sum(len(read_document(path, ocr=False).pages) for path in paths)


def store_add(paths: list[Path]) -> int:
    with tempfile.TemporaryDirectory() as root:
        store = DocumentStore(Path(root), ocr=False)
        return sum(len(store.add(path)[0].pages) for path in paths)


def batch_two_workers(paths: list[Path]) -> int:
    with tempfile.TemporaryDirectory() as root:
        return ingest_paths(paths, DocumentStore(Path(root), ocr=False), workers=2).pages


def bench_born_digital(rounds: int) -> dict[str, object]:
    paths = corpus_pdfs(has_text_layer=True) or [FIXTURES / "arcadia_fl_tfm_moa_2025.pdf"] * 20
    variants = {
        "pypdfium2 text only": pdfium_text_only,
        "`pdftotext -layout` only": pdftotext_layout_only,
        "read_document (ocr=False)": read_only,
        "DocumentStore.add (hash, copy, fsync, JSON)": store_add,
        "ingest_paths, 2 workers": batch_two_workers,
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    pages = 0
    for _ in range(rounds):  # interleaved, so a neighbour's load hits every variant alike
        for name, run in variants.items():
            seconds, pages = timed(lambda run=run: run(paths))
            times[name].append(seconds)
    rates = {name: pages / statistics.median(values) for name, values in times.items()}
    baseline = rates["pypdfium2 text only"]
    return {
        "documents": len(paths),
        "pages": pages,
        "rounds": rounds,
        "rates": rates,
        "ratio_read": rates["read_document (ocr=False)"] / baseline,
        "ratio_store": rates["DocumentStore.add (hash, copy, fsync, JSON)"] / baseline,
        "source": "corpus" if CORPUS.is_dir() else "fixture x20 (corpus absent)",
    }


def scan_pages_pdf(folder: Path, count: int) -> tuple[Path, str]:
    scans = corpus_pdfs(has_text_layer=False)
    source = scans[0] if scans else FIXTURES / "washington_ut_tfm_moa_2025_scan_p1_p9.pdf"
    original = pdfium.PdfDocument(source)
    chosen = pdfium.PdfDocument.new()
    chosen.import_pages(original, list(range(min(count, len(original)))))
    path = folder / "scan.pdf"
    buffer = io.BytesIO()
    chosen.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path, source.name


def bench_ocr(pages_wanted: int, rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        pdf, source = scan_pages_pdf(folder, pages_wanted)
        document = pdfium.PdfDocument(pdf)
        images = []
        for index in range(len(document)):
            image = folder / f"page-{index + 1}.png"
            document[index].render(scale=300 / 72, grayscale=True).to_pil().save(image, dpi=(300, 300))
            images.append(image)
        count = len(images)
        env = tesseract_environment()  # OMP_THREAD_LIMIT=1 for both sides: one core per page

        def cli() -> int:
            for image in images:
                subprocess.run(["tesseract", str(image), "stdout"], env=env, capture_output=True, check=True)
            return count

        def ours(workers: int) -> Callable[[], int]:
            return lambda: sum(page.method == "ocr" for page in read_document(pdf, ocr_workers=workers).pages)

        variants = {
            "cli": cli,
            "serial": ours(1),
            "parallel": ours(2),
            "cli_parallel": lambda: _cli_two_at_once(images, env),
        }
        # Interleaved rounds, best of each: the fastest run is the one a neighbour's load disturbed least.
        best: dict[str, float] = {}
        for _ in range(rounds):
            for name, run in variants.items():
                seconds, pages = timed(run)
                assert pages == count, (name, pages, count)
                best[name] = min(seconds, best.get(name, seconds))
    cli_seconds, serial_seconds = best["cli"], best["serial"]
    parallel_seconds, cli_parallel_seconds = best["parallel"], best["cli_parallel"]
    return {
        "pages": count,
        "rounds": rounds,
        "source": source,
        "cli_per_page": cli_seconds / count,
        "ours_per_page": serial_seconds / count,
        "ratio": serial_seconds / cli_seconds,
        "parallel_per_page": parallel_seconds / count,
        "speedup": serial_seconds / parallel_seconds,
        "cli_speedup": cli_seconds / cli_parallel_seconds,
        "cpu_ceiling": cpu_ceiling(),
    }


def _cli_two_at_once(images: list[Path], env: dict[str, str]) -> int:
    """The machine's own ceiling: plain `tesseract` two processes at a time, no Python in between."""
    running: list[subprocess.Popen[bytes]] = []
    for image in images:
        if len(running) == 2:
            running.pop(0).wait()
        running.append(
            subprocess.Popen(
                ["tesseract", str(image), "stdout"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    for process in running:
        process.wait()
    return len(images)


BUSY_LOOP = "total = 0\nfor number in range(20_000_000):\n    total += number\n"


def cpu_ceiling() -> float:
    """How much faster two CPU-bound processes finish than one after the other, here and now."""
    one, _ = timed(lambda: subprocess.run([sys.executable, "-c", BUSY_LOOP], check=True).returncode + 1)
    start = time.perf_counter()
    both = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(2)]
    for process in both:
        process.wait()
    return 2 * one / (time.perf_counter() - start)


PEAK_PROBE = """
import json, resource, sys, tempfile
from pathlib import Path
mode, path = sys.argv[1], Path(sys.argv[2])
import disentangle.ingest as ingest
pages = 0
if mode == "read":
    pages = len(ingest.read_document(path, ocr=False).pages)
elif mode == "store":
    with tempfile.TemporaryDirectory() as root:
        pages = len(ingest.DocumentStore(Path(root), ocr=False).add(path)[0].pages)
try:
    high_water = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
except OSError:
    high_water = 0
print(json.dumps([pages, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, high_water]))
"""


BUILD_BIG_PDF = """
import sys
import pypdfium2 as pdfium
source = pdfium.PdfDocument(sys.argv[1])
big = pdfium.PdfDocument.new()
while len(big) < 2000:
    big.import_pages(source, list(range(min(len(source), 2000 - len(big)))))
big.save(sys.argv[2])
"""


def bench_peak_rss() -> dict[str, object]:
    """Run first, while this process is small: a child's ru_maxrss starts from its parent's peak."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "two-thousand-pages.pdf"
        source = FIXTURES / "arcadia_fl_tfm_moa_2025.pdf"
        subprocess.run([sys.executable, "-c", BUILD_BIG_PDF, str(source), str(path)], check=True)
        results = {}
        for mode in ("imports", "read", "store"):
            done = subprocess.run(
                [sys.executable, "-c", PEAK_PROBE, mode, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            pages, peak_kib, high_water_kib = json.loads(done.stdout)
            results[mode] = (pages, peak_kib / 1024, high_water_kib / 1024)
        layout_mb = pdftotext_high_water(path)
        size = path.stat().st_size
    return {"file_mb": size / 1e6, "results": results, "pdftotext_mb": layout_mb}


def pdftotext_high_water(path: Path) -> float:
    """The VmHWM of the `pdftotext -layout` process the PDF ingestor runs, sampled every 10 ms until it
    ends (its ru_maxrss would start from the forking Python process's peak, so it cannot be used)."""
    command = ["pdftotext", "-layout", "-enc", "UTF-8", "-q", str(path), "-"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    high_water_kib = 0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        with contextlib.suppress(OSError, IndexError, ValueError):  # between fork and exec, or just exited
            high_water_kib = max(high_water_kib, int(status.read_text().split("VmHWM:")[1].split()[0]))
        time.sleep(0.01)
    return high_water_kib / 1024


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=False)
    tesseract = version.stdout.split("\n")[0]
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, {memory:.0f} GiB RAM; "
        f"Python {platform.python_version()}, "
        f"pypdfium2 {pdfium.version.PYPDFIUM_INFO} (PDFium {pdfium.version.PDFIUM_INFO.build}), {tesseract}"
    )


def report(born: dict, ocr: dict, peak: dict, load_before: float, load_after: float, quick: bool) -> str:
    rates = born["rates"]
    lines = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/ingest_bench.py`"
        + (" --quick" if quick else "")
        + f" on {machine()}.",
        f"Load average (1 min) {load_before:.2f} before, {load_after:.2f} after: the machine is shared, "
        "so other work competes for the same two cores.",
        "",
        f"**(a) Born-digital throughput** — {born['documents']} text-layer PDFs, {born['pages']} pages "
        f"({born['source']}), median of {born['rounds']} interleaved rounds:",
        "",
        "| pipeline | pages/s | vs pypdfium2 text alone |",
        "|---|---:|---:|",
    ]
    baseline = rates["pypdfium2 text only"]
    for name, rate in rates.items():
        lines.append(f"| {name} | {rate:,.0f} | {rate / baseline:.2f} |")
    verdict_a = "met" if born["ratio_store"] >= 0.25 else "missed"
    lines += [
        "",
        f"Target ≥ 0.25 for a full ingest: {born['ratio_store']:.2f} ({verdict_a}).",
        "",
        f"**(b) OCR** — {ocr['pages']} scanned pages of `{ocr['source']}` at 300 dpi, OMP_THREAD_LIMIT=1, "
        f"best of {ocr['rounds']} interleaved rounds:",
        "",
        "| | s/page |",
        "|---|---:|",
        f"| `tesseract page.png stdout` (CLI, one at a time) | {ocr['cli_per_page']:.2f} |",
        f"| read_document, 1 Tesseract process (render + TSV + parse) | {ocr['ours_per_page']:.2f} |",
        f"| read_document, 2 Tesseract processes | {ocr['parallel_per_page']:.2f} |",
        "",
        f"Ratio to the CLI: {ocr['ratio']:.2f}× "
        f"(target ≤ 1.2×: {'met' if ocr['ratio'] <= 1.2 else 'missed'}). "
        f"Speed-up from two processes: {ocr['speedup']:.2f}× "
        f"(target ≥ 1.7×: {'met' if ocr['speedup'] >= 1.7 else 'missed'}); the plain CLI run two at a time "
        f"gets {ocr['cli_speedup']:.2f}× on the same machine at the same time, and two CPU-bound Python "
        f"loops {ocr['cpu_ceiling']:.2f}×: that is the ceiling here.",
        "",
        f"**(c) Peak memory** — a 2,000-page PDF ({peak['file_mb']:.0f} MB; the Arcadia agreement's 14 pages "
        "repeated), each in a fresh process started while the bench itself was small (a child's ru_maxrss "
        "starts from its parent's peak); VmHWM, the child's own high-water mark, as a cross-check; and the "
        "`pdftotext -layout` process that read_document runs on the same file (VmHWM sampled every 10 ms):",
        "",
        "| | pages | peak RSS (ru_maxrss) | VmHWM |",
        "|---|---:|---:|---:|",
    ]
    labels = {
        "imports": "Python + `import disentangle.ingest` only",
        "read": "read_document(ocr=False)",
        "store": "DocumentStore.add",
    }
    for mode, (pages, megabytes, high_water) in peak["results"].items():
        lines.append(f"| {labels[mode]} | {pages or '—'} | {megabytes:.0f} MB | {high_water:.0f} MB |")
    lines.append(f"| `pdftotext -layout`, run by read_document | 2000 | — | {peak['pdftotext_mb']:.0f} MB |")
    # pdftotext has finished before PDFium reads the first page, but count both, as if they overlapped
    worst = max(megabytes for _, megabytes, _ in peak["results"].values()) + peak["pdftotext_mb"]
    lines += [
        "",
        f"Target ≤ 500 MB (the reader and its pdftotext together): {worst:.0f} MB "
        f"({'met' if worst <= 500 else 'missed'}).",
    ]
    return "\n".join(lines)


def write_into_docs(section: str) -> None:
    text = (
        DOCS.read_text(encoding="utf-8") if DOCS.exists() else f"# Ingest\n\n## Benchmark\n\n{START}\n{END}\n"
    )
    if START not in text:
        text += f"\n## Benchmark\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOCS.write_text(f"{head}{START}\n{section}\n{END}{tail}", encoding="utf-8")


def signature_effect() -> str:
    """Hand-label accuracy of the extractor on the same text-layer agreements, read three ways."""
    sys.path.insert(0, str(CHECKOUT / "bench"))
    import extract_eval
    from disentangle.extract import extract_agreement
    from disentangle.ingest import PdfIngestor

    no_layout = type("PdfIngestorWithoutLayout", (PdfIngestor,), {"layout_command": ("no-such-layout-tool",)})
    readers: dict[str, Callable[[dict[str, str]], Document]] = {
        "read_document, PDFium text (before)": lambda row: read_document(
            CORPUS / row["pdf"], ocr=False, ingestors=[no_layout()]
        ),
        "read_document, pdftotext -layout (now)": lambda row: read_document(CORPUS / row["pdf"], ocr=False),
        "corpus text/ files (pdftotext -layout)": lambda row: extract_eval._text_document(
            CORPUS / row["pdftotext"]
        ),
    }
    labels = extract_eval.load_labels()
    with (CORPUS / "labels.csv").open(encoding="utf-8") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["doc_id"] in labels and r["has_text_layer"] == "True" and r["pdf"] and r["pdftotext"]
        ]
    scores = {}
    for name, read in readers.items():
        hand = extract_eval.HandScore()
        for row in rows:
            document = read(row)
            extract_eval._score_hand(
                row["doc_id"], labels[row["doc_id"]], extract_agreement(document), hand, document
            )
        scores[name] = hand
    keys = sorted(next(iter(scores.values())).total)
    lines = [
        f"{len(rows)} hand-labelled text-layer agreements; correct/total (accuracy):",
        "",
        "| field | " + " | ".join(scores) + " |",
        "|---|" + "---:|" * len(scores),
    ]
    for key in keys:
        cells = [f"{h.correct[key]}/{h.total[key]} ({h.rate(key):.1%})" for h in scores.values()]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round and four OCR pages")
    parser.add_argument("--signatures", action="store_true", help="only the extractor's accuracy, printed")
    args = parser.parse_args()
    if args.signatures:
        print(signature_effect())
        return
    load_before = os.getloadavg()[0]
    peak = bench_peak_rss()
    print(json.dumps(peak, indent=1), file=sys.stderr)
    born = bench_born_digital(rounds=1 if args.quick else 3)
    print(json.dumps(born, indent=1), file=sys.stderr)
    ocr = bench_ocr(pages_wanted=4 if args.quick else 8, rounds=1 if args.quick else 2)
    print(json.dumps(ocr, indent=1), file=sys.stderr)
    section = report(born, ocr, peak, load_before, os.getloadavg()[0], args.quick)
    write_into_docs(section)
    print(section)


if __name__ == "__main__":
    main()
