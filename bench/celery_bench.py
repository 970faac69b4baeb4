"""OCR throughput of a scanned release on Celery workers, against the local pool and the `tesseract` CLI.

A 200-page scanned release is generated (page images of typed text, no text layer). In one run, each
variant reads all of it, and pages per second are compared as ratios:

    tesseract CLI, 1 process      the raw tool on the same 300-dpi page images, one page at a time
    tesseract CLI, 2 processes    the raw tool two pages at a time: this machine's ceiling
    local pool                    `disentangle ingest` without a broker (one process, 2 Tesseracts)
    Celery, 1 worker process      `disentangle worker --concurrency 1`, one task per page, PostgreSQL store
    Celery, 2 worker processes    `disentangle worker --concurrency 2`

Loopback only (Redis on 127.0.0.1:6379, database 12, flushed; PostgreSQL from
$DISENTANGLE_TEST_DATABASE_URL, a schema made and dropped per variant); bounded by --pages.
Results are written into docs/performance.md between the bench markers.

Run: `.venv/bin/python bench/celery_bench.py [--pages 200] [--lines 4]`
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from disentangle.ingest import CeleryExecutor  # noqa: E402
from disentangle.ingest._ocr import tesseract_environment  # noqa: E402
from disentangle.workspace import Workspace  # noqa: E402
from scans import scanned_pdf  # noqa: E402  (the same generator the tests use)

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:celery begin -->", "<!-- bench:celery end -->"
BROKER = "redis://127.0.0.1:6379/12"
SUBMITTED: dict[int, float] = {}  # Celery variants: seconds from sending the job (the worker already up)


def cli(images: list[Path], at_once: int) -> int:
    env = tesseract_environment()
    running: list[subprocess.Popen[bytes]] = []
    for image in images:
        if len(running) == at_once:
            running.pop(0).wait()
        running.append(
            subprocess.Popen(
                ["tesseract", str(image), "stdout", "--dpi", "300", "tsv"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    for process in running:
        process.wait()
    return len(images)


def local_pool(pdf: Path, folder: Path) -> int:
    os.environ.pop("DISENTANGLE_BROKER_URL", None)
    workspace = Workspace(folder / f"local-{uuid.uuid4().hex[:6]}")
    try:
        return workspace.ingest([pdf], workers=1).ocr_pages
    finally:
        workspace.close()


def celery(pdf: Path, folder: Path, database: str, concurrency: int) -> int:
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(database)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in database else "?"
    url = f"{database}{separator}options=-csearch_path%3D{schema}"
    env = {
        **os.environ,
        "DISENTANGLE_BROKER_URL": BROKER,
        "DISENTANGLE_DATABASE_URL": url,
        "DISENTANGLE_HOME": str(folder / f"worker-{schema}"),
        "C_FORCE_ROOT": "1",  # this bench machine runs as root; a deployment runs workers as a user
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "disentangle", "worker", "--concurrency", str(concurrency)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        executor = CeleryExecutor(BROKER)
        while not executor.workers(timeout=1.0):
            time.sleep(0.5)
        os.environ["DISENTANGLE_BROKER_URL"] = BROKER
        workspace = Workspace(folder / f"server-{schema}", database_url=url)
        try:
            start = time.perf_counter()
            pages = workspace.ingest([pdf]).ocr_pages
            SUBMITTED[concurrency] = time.perf_counter() - start
            return pages
        finally:
            workspace.close()
    finally:
        os.environ.pop("DISENTANGLE_BROKER_URL", None)
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def timed(run: Callable[[], int], expected: int) -> float:
    start = time.perf_counter()
    pages = run()
    seconds = time.perf_counter() - start
    assert pages == expected, f"read {pages} of {expected} pages"
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--lines", type=int, default=4, help="lines of typed prose per page")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    args = parser.parse_args()
    database = os.environ.get("DISENTANGLE_TEST_DATABASE_URL")
    if not database:
        sys.exit("set DISENTANGLE_TEST_DATABASE_URL (PostgreSQL) for the Celery variants")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        pdf = scanned_pdf(folder / "release.pdf", args.pages, lines=args.lines)
        document = pdfium.PdfDocument(pdf)
        images = []
        for index in range(len(document)):  # the CLI gets the same 300-dpi renders our reader makes
            image = folder / f"page-{index + 1}.png"
            document[index].render(scale=300 / 72, grayscale=True).to_pil().save(image, dpi=(300, 300))
            images.append(image)
        document.close()
        load_before = os.getloadavg()[0]
        seconds: dict[str, float] = {}
        # Celery variants time from the submitter's start (the worker is up and waiting before it).
        variants: dict[str, Callable[[], int]] = {
            "tesseract CLI, 1 process": lambda: cli(images, 1),
            "tesseract CLI, 2 processes": lambda: cli(images, 2),
            "local pool (no broker)": lambda: local_pool(pdf, folder),
            "Celery, 1 worker process": lambda: celery(pdf, folder, database, 1),
            "Celery, 2 worker processes": lambda: celery(pdf, folder, database, 2),
        }
        for label, run in variants.items():
            total = timed(run, args.pages)
            if label.startswith("Celery"):
                total = SUBMITTED[int(label.split(", ")[1][0])]
            seconds[label] = total
            print(f"{label}: {seconds[label]:.1f} s, {args.pages / seconds[label]:.2f} pages/s", flush=True)
        load_after = os.getloadavg()[0]
    write(seconds, args.pages, args.lines, (load_before, load_after), args.no_write)


def write(
    seconds: dict[str, float], pages: int, lines: int, load: tuple[float, float], no_write: bool
) -> None:
    cli1 = seconds["tesseract CLI, 1 process"]
    cli2 = seconds["tesseract CLI, 2 processes"]
    rows = [
        f"| {label} | {value:.1f} | {pages / value:.2f} | {cli1 / value:.2f} | {cli2 / value:.2f} |"
        for label, value in seconds.items()
    ]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = "\n".join(
        [
            f"Measured {when} on {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()};"
            f" a generated scanned release of {pages} pages ({lines} typed lines each), read at 300 dpi;"
            f" load average {load[0]:.1f} before, {load[1]:.1f} after (other work shares these cores).",
            "",
            "| variant | seconds | pages/s | × CLI 1 process | × CLI 2 processes |",
            "|---|---:|---:|---:|---:|",
            *rows,
            "",
            "A ratio of 1.00 is the raw tool's own speed; below it is our overhead (rendering, the",
            "database, the broker). The Celery timings start when the job is sent, with the worker up.",
        ]
    )
    print(block)
    if no_write:
        return
    doc = DOC.read_text(encoding="utf-8")
    if BEGIN not in doc:
        doc = doc.rstrip("\n") + (
            "\n\n## Reading on Celery workers (bench/celery_bench.py)\n\n"
            "OCR of a scanned release fanned out one task per page over `disentangle worker` processes,\n"
            "against the local pool and the `tesseract` CLI alone, in the same run.\n\n"
            f"{BEGIN}\n{END}\n"
        )
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
