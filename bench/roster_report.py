"""Apply the FBI-roster rule to every row and report what it did: merged with an agency on ICE's lists,
added and placed, added unplaced (with the reasons), left out; and how many agencies a campaign over a
county would write to.

    .venv/bin/python bench/roster_report.py              # print the numbers
    .venv/bin/python bench/roster_report.py --write-docs # also rewrite the roster part of docs/linking.md
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

from disentangle.sources import ice_history, ice_sheets
from disentangle.sources.places import build_places
from disentangle.workspace import Workspace, bundled_data_dir

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "linking.md"
BEGIN, END = "<!-- roster-report:begin -->", "<!-- roster-report:end -->"
COUNTIES = ("Los Angeles County, CA", "Cook County, IL", "Harris County, TX", "Maricopa County, AZ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    data = bundled_data_dir()
    with tempfile.TemporaryDirectory() as home:
        workspace = Workspace(Path(home))
        files = [f for f in workspace.source_files() if f.dataset == "ice-287g"]
        sheets = [ice_sheets.read_sheet(f.path, name=f.name) for f in files]
        history = ice_history.build_history(sheets)
        places = build_places(data, ice_history.agencies_of(history))
        workspace.import_bundled()
        campaigns = {county: len(workspace.campaign_agencies(county)[2]) for county in COUNTIES}
        workspace.close()
    report = places.roster
    by_type: Counter[str] = Counter(r.type_id for r in report.records)
    lines = [
        f"Every row of the FBI roster in `data/287g-watch/fbi_lee_latest.csv` ({report.rows:,} rows), as the "
        "import applies the rule of `sources/roster.py` (`bench/roster_report.py`):",
        "",
        "| what became of the row | rows |",
        "|---|---:|",
        f"| merged with the agency on ICE's lists linked to its ORI | {report.merged:,} |",
        f"| added as an agency, placed in its jurisdiction | {report.added_placed:,} |",
        f"| added as an agency, not placed (reasons below) | {report.added_unplaced:,} |",
    ]
    lines += [f"| left out: {reason} | {n:,} |" for reason, n in report.left_out.most_common()]
    lines += ["", "Why an added agency is not placed (the linker's words, names left out):", ""]
    lines += ["| reason | rows |", "|---|---:|"]
    lines += [f"| {_cell(reason)} | {n:,} |" for reason, n in report.unplaced_reasons.most_common(15)]
    rest = sum(n for _, n in report.unplaced_reasons.most_common()[15:])
    if rest:
        lines.append(f"| other reasons | {rest:,} |")
    lines += [
        "",
        "The roster's agencies by the type the registry gives them:",
        "",
        "| type | rows |",
        "|---|---:|",
    ]
    lines += [f"| {kind} | {n:,} |" for kind, n in by_type.most_common()]
    lines += [
        "",
        "Requests a discovery campaign drafts (`disentangle campaign new --in COUNTY`: one per "
        "law-enforcement agency the registry places in the county, ICE-listed or from the roster):",
        "",
        "| county | requests |",
        "|---|---:|",
    ]
    lines += [f"| {county} | {n} |" for county, n in campaigns.items()]
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        doc = DOC.read_text(encoding="utf-8")
        if BEGIN not in doc:
            doc += f"\n## Every agency of the FBI roster\n\n{BEGIN}\n{END}\n"
        head, _, tail = doc.partition(BEGIN)
        _, _, tail = tail.partition(END)
        DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")
    return 0


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    sys.exit(main())
