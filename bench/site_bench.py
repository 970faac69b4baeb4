"""`publish site` on the bundled data: the national site and one county, its time, size and page count.

The raw tool in the same run is the file system: writing the same files' bytes to a new folder, with
nothing rendered (the floor any static-site writer stands on). The build is reported as a ratio to it.
Run: `.venv/bin/python bench/site_bench.py [--workspace DIR]`; results go to docs/publishing.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from disentangle.web import write_site
from disentangle.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "publishing.md"
BEGIN, END = "<!-- bench:site begin -->", "<!-- bench:site end -->"


def rewrite_seconds(site: Path, target: Path) -> float:
    """Write every file of `site` again under `target` from memory: the raw file-system cost."""
    files = [(p.relative_to(site), p.read_bytes()) for p in site.rglob("*") if p.is_file()]
    started = time.perf_counter()
    for relative, data in files:
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return time.perf_counter() - started


def measure(workspace: Workspace, within: str | None, scratch: Path) -> dict[str, object]:
    site = scratch / f"site-{within or 'nation'}".replace(" ", "_").replace(",", "")
    load = os.getloadavg()[0]
    report = write_site(workspace, site, within=within)
    raw = rewrite_seconds(site, scratch / "raw")
    shutil.rmtree(scratch / "raw")
    home = (site / "index.html").stat().st_size
    biggest = max((p.stat().st_size, str(p.relative_to(site))) for p in site.rglob("*.html"))
    shutil.rmtree(site)
    return {
        "within": within or "the nation",
        "pages": report.pages,
        "files": report.files,
        "mb": report.bytes / 1e6,
        "seconds": report.seconds,
        "raw": raw,
        "ms_per_page": 1000 * report.seconds / max(1, report.pages),
        "home_kb": home / 1e3,
        "biggest": biggest,
        "load": load,
    }


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| site | pages (both languages) | files | size | time | raw file writes | ratio | per page "
        "| home page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['within']} | {r['pages']:,} | {r['files']:,} | {r['mb']:.1f} MB | {r['seconds']:.1f} s "
            f"| {r['raw']:.1f} s | {float(r['seconds']) / max(float(r['raw']), 1e-9):.1f}× "  # type: ignore[arg-type]
            f"| {r['ms_per_page']:.2f} ms | {r['home_kb']:.0f} kB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--workspace", type=Path, help="a workspace with the registry built (else one is built)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="site-bench-") as scratch_name:
        scratch = Path(scratch_name)
        if args.workspace:
            workspace = Workspace(args.workspace)
        else:
            workspace = Workspace(scratch / "workspace")
            workspace.import_bundled()
        rows = [measure(workspace, "48167", scratch), measure(workspace, None, scratch)]
        workspace.close()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            BEGIN,
            f"Measured {when} on {platform.machine()}, {os.cpu_count()} cores (shared with other work: load "
            f"average {rows[-1]['load']:.1f} at the start of the national build), "
            f"Python {platform.python_version()}, SQLite registry of the bundled data; "
            "`write_site` with its default workers (one for a small site, else one per core, up to four).",
            "",
            table(rows),
            "",
            f"The largest page of the national site: `{rows[-1]['biggest'][1]}`, "  # type: ignore[index]
            f"{rows[-1]['biggest'][0] / 1e3:.0f} kB.",  # type: ignore[index]
            END,
        ]
    )
    text = DOC.read_text(encoding="utf-8")
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: body, text, flags=re.S)
    DOC.write_text(text, encoding="utf-8")
    sys.stdout.write(body + "\n")


if __name__ == "__main__":
    main()
