"""Read ICE's published 287(g) participating and pending workbooks into typed rows, with their mess."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

from rapidfuzz import fuzz, process

from disentangle.errors import SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.limits import DocumentLimits, check_zip
from disentangle.model import STATES, AgreementKind, normalize_state

SHEET_LIMITS = DocumentLimits(zip_xml_bytes=16 * 1024 * 1024)  # a sheet of ~100,000 rows

ListKind = Literal["participating", "pending"]

DATASET = "ice-287g"


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One data row of an ICE workbook, cleaned: what ICE printed, in our types."""

    row: int  # 1-based row number in the worksheet
    state: str  # USPS code
    agency: str  # the agency as ICE printed it, whitespace folded
    kind: AgreementKind
    signed: date | None
    agency_type: str | None = None  # ICE's TYPE column: County, Municipality, State Agency
    county: str | None = None
    moa_url: str | None = None
    addendum: str | None = None  # ICE's ADDENDUM cell ("link", "Link Pending") when present
    addendum_url: str | None = None


@dataclass(frozen=True, slots=True)
class Sheet:
    """One published workbook: which list, when it was captured, and its rows."""

    list: ListKind
    captured: date
    file: str  # file name, for provenance
    sha256: str
    rows: tuple[SheetRow, ...]


@cache
def _layout() -> dict[str, Any]:
    return dict(load_yaml("ice_sheets.yaml"))


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    return _NOT_ALNUM.sub(" ", text.lower()).strip()


@cache
def _model_index() -> dict[str, AgreementKind]:
    index: dict[str, AgreementKind] = {}
    for model in _layout()["models"]:
        kind = AgreementKind(model["kind"])
        for spelling in [model["label"], *model["spellings"]]:
            index[_fold(spelling)] = kind
    return index


def parse_model(text: str) -> AgreementKind | None:
    """The agreement kind a SUPPORT TYPE label names, tolerating ICE's typos; None if unrecognisable."""
    folded = _fold(text)
    if not folded:
        return None
    index = _model_index()
    if folded in index:
        return index[folded]
    match = process.extractOne(folded, index.keys(), scorer=fuzz.ratio, score_cutoff=85)
    return index[match[0]] if match else None


@cache
def _state_names() -> dict[str, str]:
    return {_fold(state.name): state.postal for state in STATES}


def parse_state(text: str) -> str | None:
    """USPS code of a state cell ("TEXAS ", "UTAh", "WEST VIRIGINA"); None if it names no state."""
    code = normalize_state(text.strip())
    if code:
        return code
    folded = _fold(text)
    if len(folded) < 4:
        return None
    match = process.extractOne(folded, _state_names().keys(), scorer=fuzz.ratio, score_cutoff=88)
    return _state_names()[match[0]] if match else None


_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"), "ymd"),
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-]?(\d{4})$"), "mdy"),  # also ICE's "05/082025", "7/72025"
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "ymd"),
)


def parse_date(value: object) -> date | None:
    """A date from an Excel cell: datetime, Excel serial number, or the string forms ICE used."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _EXCEL_EPOCH + timedelta(days=int(value)) if 20000 < value < 80000 else None
    text = str(value).strip()
    if _fold(text) in _blank_values():
        return None
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            a, b, c = (int(g) for g in m.groups())
            year, month, day = (a, b, c) if order == "ymd" else (c, a, b)
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


@cache
def _blank_values() -> frozenset[str]:
    return frozenset(_fold(v) for v in _layout()["blank_values"])


_SPACES = re.compile(r"\s+")


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value).replace("\xa0", " ")).strip()
    return None if _fold(text) in _blank_values() else text


def capture_date_from_name(name: str) -> date | None:
    """The capture date a workbook's file name carries (patterns in knowledge/ice_sheets.yaml)."""
    for entry in _layout()["filename_dates"]:
        m = re.search(entry["pattern"], name)
        if m:
            try:
                return date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                continue
    return None


def list_kind_from_name(name: str) -> ListKind | None:
    lowered = name.lower()
    if "pending" in lowered:
        return "pending"
    if "participating" in lowered:
        return "participating"
    return None


def read_sheet(
    path: Path, *, captured: date | None = None, list_kind: ListKind | None = None, name: str | None = None
) -> Sheet:
    """Read one ICE workbook. Raises SourceFormatError naming the file for anything it cannot trust."""
    name = name or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFormatError(f"cannot read: {exc.strerror}", path) from exc
    if not data:
        raise SourceFormatError("empty file (0 bytes), not an Excel workbook", path)
    if not zipfile.is_zipfile(path):
        raise SourceFormatError("not an Excel workbook (.xlsx): the file is not a zip archive", path)
    captured = captured or capture_date_from_name(name)
    if captured is None:
        raise SourceFormatError("cannot tell the capture date from the file name; give it with --date", path)
    grid, links = _read_first_sheet(path)
    header_at, fields = _find_header(grid, path)
    kind = list_kind or list_kind_from_name(name) or ("participating" if "signed" in fields else "pending")
    missing = [f for f in _layout()["required"][kind] if f not in fields]
    if missing:
        header_of = {field: header for header, field in _layout()["columns"].items()}
        raise SourceFormatError(f"missing column(s) {', '.join(header_of[m] for m in missing)}", path)
    rows = tuple(_rows(grid, links, header_at, fields, path))
    return Sheet(kind, captured, name, hashlib.sha256(data).hexdigest(), rows)


def _find_header(grid: list[tuple[Any, ...]], path: Path) -> tuple[int, dict[str, int]]:
    known: dict[str, str] = _layout()["columns"]
    for index, row in enumerate(grid[:10]):
        labels = [re.sub(r"\s+", " ", str(c)).strip().upper() if c is not None else "" for c in row]
        if "STATE" in labels and any("AGENCY" in label for label in labels):
            fields: dict[str, int] = {}
            unknown = []
            for column, label in enumerate(labels):
                if not label:
                    continue
                if label not in known:
                    unknown.append(label)
                elif known[label] not in fields:
                    fields[known[label]] = column
            if unknown:
                raise SourceFormatError(f"unknown column(s) {', '.join(repr(u) for u in unknown)}", path)
            return index, fields
    raise SourceFormatError("no header row with STATE and LAW ENFORCEMENT AGENCY in the first 10 rows", path)


def _rows(
    grid: list[tuple[Any, ...]],
    links: dict[tuple[int, int], str],
    header_at: int,
    fields: dict[str, int],
    path: Path,
) -> Iterator[SheetRow]:
    def cell(row: tuple[Any, ...], field: str) -> Any:
        column = fields.get(field)
        return row[column] if column is not None and column < len(row) else None

    for index in range(header_at + 1, len(grid)):
        row = grid[index]
        number = index + 1
        if not any(_clean(v) for v in row):
            continue
        state_text = _clean(cell(row, "state")) or ""
        agency = _clean(cell(row, "agency"))
        if agency is None and not state_text:
            continue
        where = f"row {number}"
        state = parse_state(state_text)
        if state is None:
            raise SourceFormatError(f"{where}: unknown state {state_text!r}", path)
        if agency is None:
            raise SourceFormatError(f"{where}: no agency name", path)
        model_text = _clean(cell(row, "model")) or ""
        kind = parse_model(model_text)
        if kind is None:
            raise SourceFormatError(f"{where}: unknown support type {model_text!r}", path)
        raw_signed = cell(row, "signed")
        signed = parse_date(raw_signed)
        if signed is None and _clean(raw_signed) is not None:
            raise SourceFormatError(f"{where}: cannot read the signed date {raw_signed!r}", path)
        moa_column = fields.get("moa")
        add_column = fields.get("addendum")
        moa_text = _clean(cell(row, "moa"))
        moa_url = links.get((number, moa_column)) if moa_column is not None else None
        if moa_url is None and moa_text and moa_text.lower().startswith("http"):
            moa_url = moa_text
        yield SheetRow(
            row=number,
            state=state,
            agency=agency,
            kind=kind,
            signed=signed,
            agency_type=_clean(cell(row, "agency_type")),
            county=_clean(cell(row, "county")),
            moa_url=original_url(moa_url) if moa_url else None,
            addendum=_clean(cell(row, "addendum")),
            addendum_url=original_url(links[(number, add_column)])
            if add_column is not None and (number, add_column) in links
            else None,
        )


_WAYBACK = re.compile(r"^https?://web\.archive\.org/web/\d+(?:id_)?/(.+)$")


def original_url(url: str) -> str:
    """The ICE address behind a Wayback Machine capture URL; other URLs unchanged (spaces trimmed)."""
    url = url.strip()
    m = _WAYBACK.match(url)
    return m.group(1).replace(" ", "") if m else url


# --- a small, fast reader for the first worksheet: values (via openpyxl) and hyperlinks (from the XML)

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _read_first_sheet(path: Path) -> tuple[list[tuple[Any, ...]], dict[tuple[int, int], str]]:
    import openpyxl  # deferred: openpyxl is slow to import and only this reader needs it

    # ICE's sheets are a few hundred kilobytes; the sheet's XML is parsed whole for its hyperlinks.
    check_zip(path, "Excel workbook", SHEET_LIMITS, SourceFormatError, named=True)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken archive
        raise SourceFormatError(f"not a readable Excel workbook: {exc}", path) from exc
    try:
        sheet = book.worksheets[0]
        grid = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:
        raise SourceFormatError(f"the worksheet is corrupt or truncated: {exc}", path) from exc
    finally:
        book.close()
    return grid, _hyperlinks(path)


def _hyperlinks(path: Path) -> dict[tuple[int, int], str]:
    """(row, column index) -> target URL of the first worksheet's external hyperlinks."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheet_name = _first_sheet_part(archive)
            rels_name = sheet_name.replace("worksheets/", "worksheets/_rels/") + ".rels"
            if rels_name not in archive.namelist():
                return {}
            rels = ElementTree.fromstring(archive.read(rels_name))
            targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
            links: dict[tuple[int, int], str] = {}
            for ref, rid in _hyperlink_refs(archive.read(sheet_name)):
                target = targets.get(rid)
                if target:
                    links[_cell_index(ref)] = target
            return links
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError) as exc:
        raise SourceFormatError(f"the workbook's hyperlinks are unreadable: {exc}", path) from exc


def _first_sheet_part(archive: zipfile.ZipFile) -> str:
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    first = book.find("m:sheets/m:sheet", _NS)
    if first is None:
        raise KeyError("workbook has no sheets")
    rid = first.get(f"{{{_NS['r']}}}id")
    for rel in rels.findall("rel:Relationship", _NS):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise KeyError("first sheet's part not found")


_HYPERLINK = re.compile(rb"<(?:\w+:)?hyperlink\b([^>]*)/?>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def _hyperlink_refs(xml: bytes) -> Iterable[tuple[str, str]]:
    for m in _HYPERLINK.finditer(xml):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(m.group(1))}
        if b"ref" in attrs and b"id" in attrs:
            yield attrs[b"ref"].decode().split(":")[0], attrs[b"id"].decode()


def _cell_index(ref: str) -> tuple[int, int]:
    m = re.match(r"([A-Z]+)(\d+)", ref)
    if not m:
        raise KeyError(ref)
    column = 0
    for char in m.group(1):
        column = column * 26 + ord(char) - 64
    return int(m.group(2)), column - 1
