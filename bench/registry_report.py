"""Build the registry from the bundled data and report what `disentangle qa` finds, how agreements in force
are placed, what the national map's legend counts, and what a few counties' pages say.

    .venv/bin/python bench/registry_report.py              # print the report
    .venv/bin/python bench/registry_report.py --write-docs # also rewrite its part of docs/registry.md
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

from disentangle.web._atlas import load_atlas
from disentangle.web._map import LAYERS, render_map
from disentangle.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "registry.md"
BEGIN, END = "<!-- qa:begin -->", "<!-- qa:end -->"
PLACES = (
    "Los Angeles County, CA",
    "Maricopa County, AZ",
    "Cook County, IL",
    "Galveston County, TX",
    "Taylor County, TX",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        workspace = Workspace(Path(home))
        workspace.import_bundled()
        checks = workspace.qa()
        rows = workspace.county_map()
        placed = Counter()
        for row in workspace.agreements(status="active"):
            history = workspace.history(row["agency_id"])
            placement = history["agency"]["placement"] or {}
            placed[(placement.get("rule"), placement.get("scope"))] += 1
        places = {place: workspace.show(place)["summary"] for place in PLACES}
        contracts = {place: workspace.assess(place).row("contracts").answer.value for place in PLACES}
        atlas = load_atlas(workspace.data_dir)
        workspace.close()
    lines = [
        f"Measured {date.today().isoformat()} by `bench/registry_report.py` on the bundled data; "
        "`tests/test_counties.py` checks that this table is what `disentangle qa` prints.",
        "",
        "| status | check | count | what it found |",
        "|---|---|---:|---|",
    ]
    for check in checks:
        summary = check.summary.replace("|", "\\|")
        examples = "; ".join(check.examples[:4]).replace("|", "\\|")
        lines.append(
            f"| {check.status.value} | `{check.id}` | {check.count:,} | {summary}"
            + (f" — e.g. {examples}" if examples else "")
            + " |"
        )
    lines += [
        "",
        "Agreements in force (ICE's list of the day) by the rule that placed their agency and its scope:",
        "",
        "| rule | scope | agreements |",
        "|---|---|---:|",
    ]
    lines += [
        f"| {rule} | {scope} | {n:,} |" for (rule, scope), n in sorted(placed.items(), key=lambda x: -x[1])
    ]
    lines += ["", "The home map's legend after the change (counties per band, Census 2017 boundaries):", ""]
    for layer in LAYERS:
        if layer.scored:
            continue
        rendered = render_map(atlas, rows, layer, lambda fips: fips)
        bands = "; ".join(f"{band.label} {n:,}" for band, n in zip(layer.bands, rendered.counts, strict=True))
        lines.append(f"- **{layer.title}**: {bands}")
    lines += ["", "What the pages of a few counties say now:", ""]
    lines += [
        "| county | 287(g) active (list of) | detention contracts in force "
        "| facilities ICE used (list of 2017) | checklist row 8 |",
        "|---|---|---:|---|---|",
    ]
    for place, s in places.items():
        active = sum(s["active_287g"].values())
        used = (
            f"{s['facilities_used']}, used {s['facilities_used_from']} – {s['facilities_used_to']}"
            if s["facilities_used"]
            else "none"
        )
        lines.append(
            f"| {place} | {active} ({s['as_of']}) | {s['detention_in_force']} | {used} | {contracts[place]} |"
        )
    block = "\n".join(lines)
    print(block)
    if args.write_docs:
        text = DOC.read_text(encoding="utf-8")
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        DOC.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}", encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
