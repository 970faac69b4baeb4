"""Bad input to every program importer is a SourceFormatError naming the file and the problem."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from disentangle.errors import SourceFormatError
from disentangle.knowledge import load_yaml
from disentangle.sources.detainers import DECLINED_FILE, read_detainer_totals, read_detainers_declined
from disentangle.sources.dhs_list import FILE as DHS_FILE
from disentangle.sources.dhs_list import read_dhs_designations
from disentangle.sources.facilities import COUNTY_AOR_FILE, FACILITIES_FILE, read_county_aor, read_facilities
from disentangle.sources.programs import dataset_info, source
from disentangle.sources.secure_communities import FILE as SC_FILE
from disentangle.sources.secure_communities import read_secure_communities

DATA = Path(__file__).resolve().parents[1] / "data"

Reader = Callable[[Path], Any]
READERS: list[tuple[str, Reader, str]] = [
    ("secure-communities", read_secure_communities, SC_FILE),
    ("facilities", read_facilities, FACILITIES_FILE),
    ("county-aor", read_county_aor, COUNTY_AOR_FILE),
    ("detainers", read_detainers_declined, DECLINED_FILE),
    ("detainer-totals", read_detainer_totals, "detainers-declined-npr/detainers_by_year.csv"),
    ("dhs-list", read_dhs_designations, DHS_FILE),
]
TABLES = [entry for entry in READERS if entry[0] != "dhs-list"]


def _copy(tmp_path: Path, *relatives: str) -> Path:
    """A data_dir holding real copies of the named files, so that only the file under test is broken."""
    for relative in relatives:
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DATA / relative, target)
    return tmp_path


def _companions(relative: str) -> list[str]:
    """The other files a reader needs besides the one under test."""
    needed = {
        FACILITIES_FILE: [COUNTY_AOR_FILE],
        DECLINED_FILE: [COUNTY_AOR_FILE, FACILITIES_FILE],
    }
    return [other for other in needed.get(relative, []) if other != relative]


@pytest.mark.parametrize(("name", "reader", "relative"), READERS, ids=[entry[0] for entry in READERS])
def test_missing_file(tmp_path: Path, name: str, reader: Reader, relative: str) -> None:
    data_dir = _copy(tmp_path, *_companions(relative))
    with pytest.raises(SourceFormatError, match="file is missing") as raised:
        reader(data_dir)
    assert raised.value.path == str(data_dir / relative)


@pytest.mark.parametrize(("name", "reader", "relative"), TABLES, ids=[entry[0] for entry in TABLES])
def test_unknown_columns(tmp_path: Path, name: str, reader: Reader, relative: str) -> None:
    data_dir = _copy(tmp_path, *_companions(relative))
    delimiter = "|" if relative.endswith(".psv.gz") else ","
    text = delimiter.join(["county", "when", "surprise"]) + "\n" + delimiter.join(["a", "b", "c"]) + "\n"
    _write(data_dir / relative, text.encode(), compress=relative.endswith(".gz"))
    with pytest.raises(SourceFormatError, match="unknown columns") as raised:
        reader(data_dir)
    assert relative in str(raised.value)


@pytest.mark.parametrize(("name", "reader", "relative"), TABLES, ids=[entry[0] for entry in TABLES])
def test_not_a_csv(tmp_path: Path, name: str, reader: Reader, relative: str) -> None:
    data_dir = _copy(tmp_path, *_companions(relative))
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"
    _write(data_dir / relative, png, compress=relative.endswith(".gz"))
    with pytest.raises(SourceFormatError, match=r"not a text file|not UTF-8") as raised:
        reader(data_dir)
    assert relative in str(raised.value)


@pytest.mark.parametrize(("name", "reader", "relative"), TABLES, ids=[entry[0] for entry in TABLES])
def test_empty_file(tmp_path: Path, name: str, reader: Reader, relative: str) -> None:
    data_dir = _copy(tmp_path, *_companions(relative))
    _write(data_dir / relative, b"", compress=relative.endswith(".gz"))
    with pytest.raises(SourceFormatError, match="empty"):
        reader(data_dir)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    data_dir = tmp_path
    _write(
        data_dir / COUNTY_AOR_FILE,
        b'geoid,geoid_state,geoid_county,name\n01001,01,001,"Autauga County, Alabama"\n',
    )
    with pytest.raises(SourceFormatError, match=r"missing columns \['aor'\]"):
        read_county_aor(data_dir)


def test_unbalanced_quote_is_malformed(tmp_path: Path) -> None:
    text = 'geoid,geoid_state,geoid_county,name,aor\n01001,01,001,"Autauga County, Alabama,NOL\n'
    _write(tmp_path / COUNTY_AOR_FILE, text.encode())
    with pytest.raises(SourceFormatError, match=r"malformed|fields, expected"):
        read_county_aor(tmp_path)


def test_truncated_gzip(tmp_path: Path) -> None:
    data_dir = _copy(tmp_path, COUNTY_AOR_FILE)
    whole = (DATA / FACILITIES_FILE).read_bytes()
    _write(data_dir / FACILITIES_FILE, whole[: len(whole) // 2])
    with pytest.raises(SourceFormatError, match="truncated") as raised:
        read_facilities(data_dir)
    assert FACILITIES_FILE in str(raised.value)


def test_gz_name_without_gzip_content(tmp_path: Path) -> None:
    data_dir = _copy(tmp_path, COUNTY_AOR_FILE)
    _write(data_dir / FACILITIES_FILE, b"detloc|name\nX|Y\n")
    with pytest.raises(SourceFormatError, match="not a valid gzip file"):
        read_facilities(data_dir)


def test_unknown_facility_type_asks_for_knowledge(tmp_path: Path) -> None:
    data_dir = _copy(tmp_path, COUNTY_AOR_FILE)
    with gzip.open(DATA / FACILITIES_FILE, "rt", encoding="utf-8") as handle:
        header, first = handle.readline(), handle.readline()
    changed = first.replace("|IGSA|IGSA|", "|FLOATING|IGSA|")
    assert changed != first
    _write(data_dir / FACILITIES_FILE, gzip.compress((header + changed).encode()))
    with pytest.raises(SourceFormatError, match=r"unknown facility type 'FLOATING'.*facility_types\.yaml"):
        read_facilities(data_dir)


def test_dhs_text_that_is_not_utf8(tmp_path: Path) -> None:
    _write(tmp_path / DHS_FILE, "Sanctuary Jurisdiction List\nDoña Ana County\n".encode("latin-1"))
    with pytest.raises(SourceFormatError, match="not UTF-8"):
        read_dhs_designations(tmp_path)


def test_every_dataset_is_described_and_sources_carry_it() -> None:
    datasets = load_yaml("programs/datasets.yaml")["datasets"]
    assert set(datasets) == {
        "secure-communities",
        "ice-facilities",
        "detainers-declined-npr",
        "dhs-sanctuary-list",
    }
    for name, entry in datasets.items():
        assert entry["label"] and entry["description"] and entry["source"] and entry["url"]
        assert (DATA / entry["folder"]).is_dir()
        made = source(name, "x.csv", 7)
        assert (made.dataset, made.file, made.row, made.url) == (name, "x.csv", 7, entry["url"])
        assert made.retrieved == entry.get("retrieved")
    assert dataset_info("secure-communities")["folder"] == "secure-communities"


@pytest.mark.parametrize(
    "relative",
    [
        "programs/county_names.yaml",
        "programs/facility_names.yaml",
        "programs/dhs_list.yaml",
        "programs/facility_types.yaml",
    ],
)
def test_knowledge_files_cite_a_source(relative: str) -> None:
    document = load_yaml(relative)
    assert document["source"]["label"]
    assert document["source"]["url"].startswith("https://")


def _write(path: Path, content: bytes, *, compress: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(content) if compress else content)
