"""Link every agency on ICE's monthly 287(g) participating sheets and report the rates and failures.

    .venv/bin/python bench/link_report.py              # print the numbers and the failures
    .venv/bin/python bench/link_report.py --write-docs # also rewrite the report part of docs/linking.md

Counts each distinct (state, agency name) once, whitespace collapsed. A name whose rows give different
counties (two townships of one name) is linked once per county and counts as linked only if every
variant links.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from disentangle.model import normalize_state
from disentangle.sources.agencies import read_fbi_roster, read_icpsr_links
from disentangle.sources.jurisdictions import read_division_aliases, read_jurisdictions
from disentangle.sources.linking import AgencyLink, AgencyLinker, Gazetteer

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHEETS = DATA / "ice-287g-monthly" / "participating_monthly"
DOC = ROOT / "docs" / "linking.md"
BEGIN, END = "<!-- link-report:begin -->", "<!-- link-report:end -->"
_MISSING = {"", "none", "#n/a", "#na", "n/a", "na"}


@dataclass
class SheetAgency:
    """One distinct (state, agency name) of the sheets, with the TYPE and COUNTY values seen for it."""

    state: str
    name: str
    types: Counter[str] = field(default_factory=Counter)
    counties: Counter[str] = field(default_factory=Counter)
    sheets: int = 0


@dataclass
class Outcome:
    agency: SheetAgency
    links: list[AgencyLink]

    @property
    def jurisdiction_linked(self) -> bool:
        return all(link.jurisdiction_id for link in self.links)

    @property
    def ori_linked(self) -> bool:
        return all(link.ori for link in self.links)


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return None if text.lower() in _MISSING else text


def read_sheet_agencies(folder: Path = SHEETS) -> list[SheetAgency]:
    """Every distinct (state, agency) of the participating sheets (header row found by its STATE cell)."""
    found: dict[tuple[str, str], SheetAgency] = {}
    for path in sorted(folder.glob("*.xlsx")):
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                rows = sheet.iter_rows(values_only=True)
                header: list[str] = []
                for row in rows:
                    cells = [str(c).strip().upper() if c is not None else "" for c in row]
                    if "STATE" in cells and "LAW ENFORCEMENT AGENCY" in cells:
                        header = cells
                        break
                if not header:
                    continue  # a summary sheet (totals by state), not a list of agencies
                for row in rows:
                    record = dict(zip(header, row, strict=False))
                    state, name = _clean(record.get("STATE")), _clean(record.get("LAW ENFORCEMENT AGENCY"))
                    if not state or not name:
                        continue
                    postal = normalize_state(state) or state
                    agency = found.setdefault((postal, name), SheetAgency(postal, name))
                    agency.sheets += 1
                    if kind := _clean(record.get("TYPE")):
                        agency.types[kind] += 1
                    if county := _clean(record.get("COUNTY")):
                        agency.counties[county] += 1
        finally:
            book.close()
    return sorted(found.values(), key=lambda a: (a.state, a.name))


def build_linker(data: Path = DATA) -> AgencyLinker:
    gazetteer = Gazetteer(read_jurisdictions(data), read_division_aliases(data))
    roster = read_fbi_roster(data / "287g-watch" / "fbi_lee_latest.csv")
    icpsr = read_icpsr_links(data / "ice-287g-2025" / "agreements_icpsr_merged.csv")
    return AgencyLinker(gazetteer, roster, icpsr)


def link_all(linker: AgencyLinker, agencies: list[SheetAgency]) -> list[Outcome]:
    outcomes = []
    for agency in agencies:
        type_hint = agency.types.most_common(1)[0][0] if agency.types else None
        counties = _distinct_counties(linker, agency)
        links = [linker.link(agency.name, agency.state, county, type_hint) for county in counties]
        # Two counties that lead to one link are one agency with a typo in one sheet.
        unique = {(link.jurisdiction_id, link.ori): link for link in links}
        outcomes.append(Outcome(agency, list(unique.values())))
    return outcomes


def _distinct_counties(linker: AgencyLinker, agency: SheetAgency) -> list[str | None]:
    if not agency.counties:
        return [None]
    seen: dict[str, str] = {}
    for county, _ in agency.counties.most_common():
        found = linker.gazetteer.find(agency.state, county)
        seen.setdefault(found.id if found else county.lower(), county)
    return list(seen.values())


@dataclass
class Report:
    total: int
    jurisdiction: int
    ori: int
    seconds: dict[str, float]  # stage -> wall-clock seconds
    failures: list[Outcome]
    rules: Counter[str]

    @property
    def jurisdiction_rate(self) -> float:
        return self.jurisdiction / self.total if self.total else 0.0

    @property
    def ori_rate(self) -> float:
        return self.ori / self.total if self.total else 0.0


def measure(data: Path = DATA) -> Report:
    seconds: dict[str, float] = {}
    started = time.process_time()
    agencies = read_sheet_agencies(data / "ice-287g-monthly" / "participating_monthly")
    seconds["read the sheets"] = time.process_time() - started
    started = time.process_time()
    linker = build_linker(data)
    seconds["build the gazetteer and read the roster"] = time.process_time() - started
    started = time.process_time()
    outcomes = link_all(linker, agencies)
    seconds["link every name"] = time.process_time() - started
    rules: Counter[str] = Counter()
    for outcome in outcomes:
        for link in outcome.links:
            rules[re.sub(r"\d+", "N", link.rule)] += 1
    return Report(
        total=len(outcomes),
        jurisdiction=sum(o.jurisdiction_linked for o in outcomes),
        ori=sum(o.ori_linked for o in outcomes),
        seconds=seconds,
        failures=[o for o in outcomes if not (o.jurisdiction_linked and o.ori_linked)],
        rules=rules,
    )


def render(report: Report) -> str:
    timing = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in report.seconds.items())
    lines = [
        f"Measured on {report.total} distinct (state, agency name) pairs of the "
        f"{len(list(SHEETS.glob('*.xlsx')))} participating sheets in `data/ice-287g-monthly/` "
        f"({timing}; CPU seconds of one run on the 2-core development machine).",
        "",
        "| linked to | agencies | rate |",
        "|---|---:|---:|",
        f"| a jurisdiction | {report.jurisdiction} | {report.jurisdiction_rate:.1%} |",
        f"| an FBI ORI | {report.ori} | {report.ori_rate:.1%} |",
        "",
        "How the jurisdictions were found (digits shown as N):",
        "",
        "| rule | links |",
        "|---|---:|",
    ]
    lines += [f"| {_cell(rule)} | {count} |" for rule, count in report.rules.most_common()]
    reasons: Counter[str] = Counter()
    for outcome in report.failures:
        for link in outcome.links:
            why = link.rule if not link.jurisdiction_id else link.ori_rule
            reasons[("no jurisdiction: " if not link.jurisdiction_id else "no ORI: ") + _gist(why)] += 1
    lines += ["", "Why the rest are not fully linked, in short:", "", "| reason | links |", "|---|---:|"]
    lines += [f"| {_cell(reason)} | {count} |" for reason, count in reasons.most_common()]
    lines += [
        "",
        f"### Every agency not fully linked ({len(report.failures)})",
        "",
        "| state | agency (as ICE writes it) | type | jurisdiction | ORI | why |",
        "|---|---|---|---|---|---|",
    ]
    for outcome in report.failures:
        for link in outcome.links:
            place = (
                link.jurisdiction_id.removeprefix("ocd-division/country:us/") if link.jurisdiction_id else "—"
            )
            why = link.rule if not link.jurisdiction_id else link.ori_rule
            cells = [outcome.agency.state, outcome.agency.name, link.agency_type, place, link.ori or "—", why]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def _gist(why: str) -> str:
    """The kind of reason, without the names and numbers that make each one different."""
    why = re.sub(r"'[^']*'", "'…'", why.split(";")[-1].strip())
    why = re.sub(r"\b[A-Z]{2}[A-Z0-9]{7}\b", "ORI", why)
    return re.sub(r"\d+", "N", re.sub(r"^[a-z_]+: ", "", why))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true", help="rewrite the report in docs/linking.md")
    args = parser.parse_args()
    report = measure()
    text = render(report)
    print(text)
    if args.write_docs:
        doc = DOC.read_text(encoding="utf-8")
        start, stop = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[stop:], encoding="utf-8")
        print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
