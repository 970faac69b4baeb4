"""Compare our agreement histories with the peer tracker of RelevantResearch/287g-DetentionData.

Their `Total-participatingAgencies08202025pm.xlsx` lists 1,023 agreements with LAST SEEN and
Present/Absent as of 20 August 2025. We match each of their rows to one of our agreements (state, model,
signed date, agency name as our history matches them) and sort the differences into kinds.
Run: `.venv/bin/python bench/compare_tracker.py`; it prints the table that docs/registry.md quotes.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

import openpyxl

from disentangle.sources.ice_history import NAME_THRESHOLD, _similar, normalize_agency
from disentangle.sources.ice_sheets import parse_date, parse_model, parse_state
from disentangle.workspace import Workspace, bundled_data_dir

CUTOFF = date(2025, 8, 20)


def tracker_rows(path: Path) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    header = [str(c).strip().upper() if c else "" for c in rows[0]]
    out = []
    for row in rows[1:]:
        record = dict(zip(header, row, strict=False))
        if not record.get("LAW ENFORCEMENT AGENCY"):
            continue
        out.append(
            {
                "state": parse_state(str(record["STATE"])),
                "agency": str(record["LAW ENFORCEMENT AGENCY"]).strip(),
                "kind": parse_model(str(record["SUPPORT TYPE"] or "")),
                "signed": parse_date(record["SIGNED"]),
                "status": str(record["STATUS"]).strip(),
                "last_seen": parse_date(record["LAST SEEN"]),
            }
        )
    return out


def main() -> int:
    data_dir = bundled_data_dir()
    theirs = tracker_rows(data_dir / "ice-287g-monthly/tracker/Total-participatingAgencies08202025pm.xlsx")
    with tempfile.TemporaryDirectory() as home:
        workspace = Workspace(Path(home))
        workspace.import_bundled()
        ours = workspace.agreements()
        on_august = {a["id"] for a in workspace.agreements(as_of=date(2025, 8, 1))}
        on_september = {a["id"] for a in workspace.agreements(as_of=date(2025, 9, 3))}
        workspace.close()
    index: dict[tuple[str, str], list[dict[str, object]]] = {}
    for agreement in ours:
        index.setdefault((agreement["state"], agreement["model"]), []).append(agreement)
    outcome: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for row in theirs:
        candidates = index.get((str(row["state"]), getattr(row["kind"], "value", "")), [])
        norm = normalize_agency(str(row["agency"]))
        scored = [
            (
                a["signed"] == (row["signed"].isoformat() if isinstance(row["signed"], date) else None),
                _similar(norm, normalize_agency(str(a["agency"]))),
                a,
            )
            for a in candidates
        ]
        scored = [s for s in scored if s[1] >= NAME_THRESHOLD]
        if not scored:
            kind = "no matching agreement of ours"
        else:
            same_date, _, match = max(scored, key=lambda s: (s[0], s[1]))
            present = row["status"] == "Present"
            if present and match["id"] in on_august:
                kind = "agree: Present, on our 1 Aug 2025 list"
            elif present and match["id"] in on_september:
                kind = "timing: Present on 20 Aug, first on our 3 Sep 2025 list (no capture between)"
            elif not present and match["id"] not in on_august and match["id"] not in on_september:
                kind = "agree: Absent, off our lists by Aug/Sep 2025"
            elif (
                not present
                and match["id"] in on_september
                and (not same_date or norm != normalize_agency(str(match["agency"])))
            ):
                kind = (
                    "identity: their Absent row is an old spelling or signed date of an agreement "
                    "we keep as one (renamed / signed_changed)"
                )
            elif not present and match["id"] in on_september:
                kind = "differ: Absent for them, on our 3 Sep 2025 list"
            elif not present:
                kind = "timing: Absent on 20 Aug, on our 1 Aug list, gone by 3 Sep"
            else:
                kind = f"differ: Present for them, ours {match['status']} (last seen {match['last_seen']})"
            if not same_date:
                outcome["(of which matched with another signed date)"] += 1
        outcome[kind] += 1
        examples.setdefault(kind, []).append(
            f"{row['state']} {row['agency']} ({getattr(row['kind'], 'value', '?')}, {row['signed']})"
        )
    print(
        f"peer tracker rows: {len(theirs)} (Present {sum(r['status'] == 'Present' for r in theirs)}, "
        f"Absent {sum(r['status'] == 'Absent' for r in theirs)})"
    )
    print("| outcome | rows | examples |\n|---|---:|---|")
    for kind, n in sorted(outcome.items(), key=lambda kv: -kv[1]):
        print(f"| {kind} | {n} | {'; '.join(examples.get(kind, [])[:3])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
