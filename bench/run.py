"""Registry benchmarks: a full import from a cold start, and `show` for a county and an agency.

Each number is measured against the raw library the step builds on, in the same run:
the import against openpyxl reading the same workbooks and nothing else.
Run: `make bench` (or `.venv/bin/python bench/run.py`); results go to docs/performance.md.
"""

from __future__ import annotations

import glob
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl

from disentangle.workspace import Workspace, bundled_data_dir

ROOT = Path(__file__).resolve().parents[1]


def raw_openpyxl_seconds(data_dir: Path) -> float:
    started = time.perf_counter()
    for path in sorted(glob.glob(str(data_dir / "ice-287g-*" / "**" / "*.xlsx"), recursive=True)):
        if "tracker" in path:
            continue
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for _ in book.worksheets[0].iter_rows(values_only=True):
            pass
        book.close()
    return time.perf_counter() - started


def timed(function, repeat: int = 7) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), max(samples)


def main() -> int:
    data_dir = bundled_data_dir()
    raw = raw_openpyxl_seconds(data_dir)
    with tempfile.TemporaryDirectory() as home:
        workspace = Workspace(Path(home))
        started, cpu_started = time.perf_counter(), time.process_time()
        report = workspace.import_bundled()
        cold, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        started = time.perf_counter()
        workspace.import_bundled()
        warm = time.perf_counter() - started
        results: list[tuple[str, float, float]] = []
        for label, query in _show_queries(workspace):
            median, worst = timed(lambda q=query: workspace.show(q))
            results.append((label, median, worst))
        as_of_median, as_of_worst = timed(lambda: workspace.agreements(as_of=date(2026, 5, 18)))
        workspace.close()

    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.counts.items())
    lines = [
        "## Registry (bench/run.py)",
        "",
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite embedded store.",
        "",
        "| step | seconds | target | against the raw tool |",
        "|---|---:|---:|---|",
        f"| full import from a cold start ({report.files} files: {counts}; QA after it) | {cold:.2f} "
        f"(CPU {cpu:.2f}) | ≤ 10 "
        f"| openpyxl alone reading the same workbooks: {raw:.2f} s (import = {cold / raw:.1f}× it) |",
        f"| second import (nothing changed: hashes only) | {warm:.2f} | — | — |",
    ]
    for label, median, worst in results:
        lines.append(f"| `show {label}` (median of 7; worst) | {median:.3f} ({worst:.3f}) | ≤ 0.3 | — |")
    lines.append(
        f"| `agreements --as-of 2026-05-18` (1,843 rows; median; worst) "
        f"| {as_of_median:.3f} ({as_of_worst:.3f}) | — | — |"
    )
    text = "\n".join(lines) + "\n"
    print(text)
    _write_section(ROOT / "docs" / "performance.md", "## Registry (bench/run.py)", text)
    return 0


def _show_queries(workspace: Workspace) -> list[tuple[str, str]]:
    queries = [("agency (Galveston County Sheriff's Office, TX)", "tx-galveston-county-sheriff-s-office")]
    try:
        workspace.show("48167")
        queries.insert(0, ("county (Galveston County, TX, FIPS 48167)", "48167"))
    except Exception:  # before jurisdictions are loaded only agencies can be shown
        pass
    return queries


def _write_section(path: Path, heading: str, text: str) -> None:
    """Replace this benchmark's section of docs/performance.md, keeping the others."""
    existing = (
        path.read_text()
        if path.exists()
        else "# Performance\n\nEvery number below was measured by the named script.\n\n"
    )
    if heading in existing:
        start = existing.index(heading)
        rest = existing[start + len(heading) :]
        next_heading = rest.find("\n## ")
        end = start + len(heading) + (next_heading + 1 if next_heading >= 0 else len(rest))
        existing = existing[:start] + existing[end:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(existing.rstrip() + "\n\n" + text)


if __name__ == "__main__":
    sys.exit(main())
