"""The DDP detainer import on a generated release of 1,000,000+ rows, against pyarrow (and openpyxl) reading
the same file alone; time and peak memory, each step in a fresh process. Writes into docs/detainers.md.

    .venv/bin/python bench/ddp_detainers_bench.py                 # 1,000,000-row Parquet, 100,000-row Excel
    .venv/bin/python bench/ddp_detainers_bench.py --rows 2000000 --xlsx-rows 0

Steps, each a subprocess whose peak RSS (ru_maxrss) is read when it ends:
  raw-pyarrow   pyarrow.parquet.ParquetFile.iter_batches over the counted columns: the floor for a read
  count         read_detainer_table: the same batches, counted per facility, month, form, outcome...
  import        Workspace.import_detainer_table into a copy of a built registry: count, place, store
  raw-openpyxl  openpyxl read_only iter_rows over the Excel file; then `count` of the same Excel file
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the generator of release-shaped files lives with the tests

DOCS = ROOT / "docs" / "detainers.md"
START, END = "<!-- ddp-bench:start -->", "<!-- ddp-bench:end -->"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
step, path, home = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
def high_water_mb():
    # VmHWM is this process's own peak resident set (ru_maxrss would carry the parent's across fork)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = high_water_mb()
if step == "raw-pyarrow":
    import pyarrow.parquet as pq
    from disentangle.sources.detainer_tables import DDP_COLUMNS, _find
    started = time.perf_counter()
    parquet = pq.ParquetFile(path)
    header = parquet.schema_arrow.names
    columns = [header[i] for i in _find(header, DDP_COLUMNS).values()]
    rows = 0
    for batch in parquet.iter_batches(batch_size=65536, columns=columns):
        rows += batch.num_rows
    result = {"rows": rows}
elif step == "raw-openpyxl":
    from openpyxl import load_workbook
    started = time.perf_counter()
    book = load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    result = {"rows": rows}
elif step == "count":
    from disentangle.sources.detainer_tables import read_detainer_table
    started = time.perf_counter()
    tally = read_detainer_table(path)
    result = {"rows": tally.rows_counted, "cells": len(tally.counts)}
else:
    from disentangle.workspace import Workspace
    workspace = Workspace(Path(home))
    started = time.perf_counter()
    report = workspace.import_detainer_table(path)
    result = {"rows": report.rows_counted, "cells": report.counts_stored, "facilities": report.facilities}
    workspace.close()
result["seconds"] = time.perf_counter() - started
result["peak_mb"] = high_water_mb()
result["start_mb"] = before
print(json.dumps(result))
"""


def run_step(step: str, path: Path, home: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, step, str(path), str(home)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{step} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--facilities", type=int, default=3_000, help="distinct facilities in the file")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()

    from ddp_files import ddp_rows, write_ddp_parquet, write_ddp_xlsx
    from disentangle.workspace import Workspace

    work = Path(tempfile.mkdtemp(prefix="ddp-bench-"))
    try:
        started = time.perf_counter()
        parquet = write_ddp_parquet(
            work / "detainers.parquet", count=args.rows, seed=2026, facilities=args.facilities
        )
        print(
            f"wrote {args.rows:,} rows of Parquet in {time.perf_counter() - started:.1f} s", file=sys.stderr
        )
        registry = work / "registry"
        base = Workspace(registry)
        base.import_bundled()
        base.close()
        results: dict[str, dict[str, float]] = {}
        for step in ("raw-pyarrow", "count", "import"):
            home = work / f"home-{step}"
            shutil.copytree(registry, home)
            results[step] = run_step(step, parquet, home)
            print(step, results[step], file=sys.stderr)
        if args.xlsx_rows:
            rows = ddp_rows(args.xlsx_rows, seed=2026, facilities=args.facilities)
            xlsx = write_ddp_xlsx(work / "detainers.xlsx", rows)
            del rows
            for step in ("raw-openpyxl", "count"):
                results[f"xlsx-{step}"] = run_step(step, xlsx, work)
                print(f"xlsx-{step}", results[f"xlsx-{step}"], file=sys.stderr)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(parquet, args.keep / parquet.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_docs(results, args.rows, args.xlsx_rows, args.facilities)
    return 0


def write_docs(results: dict[str, dict[str, float]], rows: int, xlsx_rows: int, facilities: int) -> None:
    raw, count, full = results["raw-pyarrow"], results["count"], results["import"]
    lines = [
        START,
        f"Measured {dt.date.today().isoformat()} by `bench/ddp_detainers_bench.py` on "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}: a generated "
        f"release of {rows:,} rows in the Deportation Data Project's layout (22 columns, {facilities:,} "
        "facilities, 20 months), each step in a fresh process; peak memory is the process's own peak "
        "resident set (VmHWM), interpreter and libraries included.",
        "",
        "| step | seconds | rows/s | peak MB | against pyarrow alone |",
        "|---|---:|---:|---:|---|",
        _row("pyarrow alone: `iter_batches` over the counted columns", raw, rows, raw),
        _row("`read_detainer_table`: the same batches, counted", count, rows, raw),
        _row(
            f"`import ddp-detainers`: counted, placed, stored ({int(full.get('cells', 0)):,} counts)",
            full,
            rows,
            raw,
        ),
    ]
    if xlsx_rows:
        xraw, xcount = results["xlsx-raw-openpyxl"], results["xlsx-count"]
        lines += [
            _row(f"openpyxl alone: `iter_rows` over {xlsx_rows:,} rows of Excel", xraw, xlsx_rows, None),
            _row(
                "`read_detainer_table` on the same Excel "
                f"({xcount['seconds'] / xraw['seconds']:.2f}× openpyxl)",
                xcount,
                xlsx_rows,
                None,
            ),
        ]
    lines += ["", END]
    text = DOCS.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOCS.write_text(head + "\n".join(lines) + tail, encoding="utf-8")
    print("\n".join(lines))


def _row(label: str, result: dict[str, float], rows: int, raw: dict[str, float] | None) -> str:
    ratio = "—"
    if raw:
        time_ratio = result["seconds"] / raw["seconds"]
        ratio = f"{time_ratio:.2f}× the time, {result['peak_mb'] / raw['peak_mb']:.2f}× the memory"
    speed = rows / result["seconds"]
    return f"| {label} | {result['seconds']:.2f} | {speed:,.0f} | {result['peak_mb']:.0f} | {ratio} |"


if __name__ == "__main__":
    raise SystemExit(main())
