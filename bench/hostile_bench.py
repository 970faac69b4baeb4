"""Peak memory of each hostile input (issue 18) against its size, and memory per MB of text.

Each input is built by tests/hostile_files.py and stored with `DocumentStore.add` (read, refused or stored)
in a fresh process, then — when it is read — extracted as an upload job would; its peak resident set
(VmHWM) is measured against the raw tool in the same run: the same process reading the file's bytes whole
and nothing else. Workbooks go through the ICE sheet reader. Target: every input under 500 MB.
Run: `.venv/bin/python bench/hostile_bench.py`; results go into docs/performance.md between markers.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the builders of hostile files live with the tests

DOCS = ROOT / "docs" / "performance.md"
START, END = "<!-- hostile-bench:start -->", "<!-- hostile-bench:end -->"
TARGET_MB = 500.0

CHILD = r"""
import json, sys, time
from pathlib import Path
step, path, store = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
def high_water_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
from disentangle import extract, ingest  # imported before the baseline: the same in every step
from disentangle.errors import DisentangleError
before = high_water_mb()
started = time.perf_counter()
result = {}
if step == "raw":
    data = path.read_bytes()
    result["outcome"] = f"{len(data):,} bytes read"
elif step == "sheet":
    from disentangle.sources.ice_sheets import read_sheet
    try:
        read_sheet(path)
        result["outcome"] = "read"
    except DisentangleError as exc:
        result["outcome"] = "refused: " + getattr(exc, "problem", str(exc))
else:
    try:
        document, _ = ingest.DocumentStore(store).add(path)
        extraction = extract.extract_agreement(document)
        chars = sum(len(page.text) for page in document.pages)
        result["outcome"] = f"read: {len(document.pages):,} pages, {chars:,} characters, {extraction.kind}"
        result["chars"] = chars
    except DisentangleError as exc:
        result["outcome"] = "refused: " + getattr(exc, "problem", str(exc))
result["seconds"] = time.perf_counter() - started
result["peak_mb"] = high_water_mb()
result["start_mb"] = before
print(json.dumps(result))
"""


def run(step: str, path: Path, store: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, step, str(path), str(store)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"{step} {path.name} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    import hostile_files as hf

    rows: list[tuple[str, int, dict[str, object], dict[str, object]]] = []
    with tempfile.TemporaryDirectory(prefix="hostile-bench-") as scratch:
        folder = Path(scratch)
        inputs = [(h.name, h.build, "store") for h in hf.HOSTILE]
        inputs.append(("ICE workbook bomb (1 GB of sheet XML)", hf.xlsx_bomb, "sheet"))
        for index, (name, build, step) in enumerate(inputs):
            path = build(folder)
            size = path.stat().st_size
            measured = run(step, path, folder / f"store-{index}")
            raw = run("raw", path, folder / "unused")
            rows.append((name, size, measured, raw))
            print(
                f"{name}: {size / 2**20:.1f} MB -> peak {measured['peak_mb']:.0f} MB "
                f"(raw read {raw['peak_mb']:.0f} MB) in {measured['seconds']:.1f} s: {measured['outcome']}",
                flush=True,
            )
            path.unlink()
    per_mb = _per_mb(rows)
    worst = max(float(str(m["peak_mb"])) for _, _, m, _ in rows)
    section = _section(rows, per_mb, worst)
    _write(section)
    print(f"worst peak {worst:.0f} MB (target {TARGET_MB:.0f}); extraction {per_mb:.1f} MB per MB of text")
    return 0 if worst <= TARGET_MB else 1


def _per_mb(rows: list[tuple[str, int, dict[str, object], dict[str, object]]]) -> float:
    """Memory per MB of text between the two agreement texts that are read (1 MB and 3 MB)."""
    read = sorted(
        (float(str(m["chars"])), float(str(m["peak_mb"])))
        for name, _, m, _ in rows
        if "chars" in m and name.startswith("agreement text")
    )
    (small_chars, small_peak), (large_chars, large_peak) = read[0], read[-1]
    return (large_peak - small_peak) / ((large_chars - small_chars) / 2**20)


def _section(
    rows: list[tuple[str, int, dict[str, object], dict[str, object]]], per_mb: float, worst: float
) -> str:
    lines = [
        START,
        f"Measured {date.today().isoformat()} on {platform.machine()}, Python {platform.python_version()}, "
        f"`{Path(sys.executable).name} bench/hostile_bench.py`. Peak resident set (VmHWM) of a fresh process "
        "storing the file with `DocumentStore.add` (and, when read, extracting it), against the same process "
        "reading the file's bytes whole and nothing else (the raw tool). Both start at the same base: "
        "the interpreter with disentangle imported.",
        "",
        "| input | size | outcome | peak RSS | raw read | seconds |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for name, size, measured, raw in rows:
        outcome = str(measured["outcome"]).replace("|", "\\|")
        lines.append(
            f"| {name} | {size / 2**20:.1f} MB | {outcome} | {float(str(measured['peak_mb'])):.0f} MB | "
            f"{float(str(raw['peak_mb'])):.0f} MB | {float(str(measured['seconds'])):.1f} |"
        )
    lines += [
        "",
        f"Worst peak: **{worst:.0f} MB** (target ≤ {TARGET_MB:.0f} MB: "
        f"{'met' if worst <= TARGET_MB else 'NOT met'}). "
        f"Reading and extracting agreement text costs **{per_mb:.1f} MB per MB of text** (between the 1 MB "
        "and 3 MB texts; before issue 18 extraction alone cost about 115 MB per MB: 20 MB took 2.37 GB).",
        END,
    ]
    return "\n".join(lines)


def _write(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n## Hostile inputs (bench/hostile_bench.py)\n\n" + section + "\n"
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    sys.exit(code)
