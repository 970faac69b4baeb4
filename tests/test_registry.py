"""The registry reproduces every ICE sheet, keeps agreements' identity over time, and imports idempotently."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from disentangle.errors import InputError, NotFoundError, SourceFormatError
from disentangle.sources.ice_sheets import capture_date_from_name, parse_state
from disentangle.workspace import Workspace

MONTHLY = "ice-287g-monthly/participating_monthly"
FIRST_WORD_TO_MODEL = {"jail": "287g-jem", "warrant": "287g-wso", "task": "287g-tfm"}


def raw_counts(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    """Count a workbook's data rows by model and by state, straight from the cells."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    header = [str(c).strip().upper() if c else "" for c in rows[0]]
    state_col, agency_col, model_col = (
        header.index("STATE"),
        header.index("LAW ENFORCEMENT AGENCY"),
        header.index("SUPPORT TYPE"),
    )
    by_model: Counter[str] = Counter()
    by_state: Counter[str] = Counter()
    total = 0
    for row in rows[1:]:
        if row[agency_col] is None or not str(row[agency_col]).strip():
            continue
        total += 1
        by_model[FIRST_WORD_TO_MODEL[str(row[model_col]).split()[0].lower()]] += 1
        by_state[parse_state(str(row[state_col])) or "?"] += 1
    return total, by_model, by_state


def monthly_sheets(data_dir: Path) -> list[Path]:
    return sorted((data_dir / MONTHLY).glob("*.xlsx"))


def test_there_are_66_monthly_sheets(data_dir: Path) -> None:
    assert len(monthly_sheets(data_dir)) == 66


def test_active_on_18_may_2026_equals_ice_sheet(registry: Workspace, data_dir: Path) -> None:
    path = data_dir / MONTHLY / "20260518_latest__participatingAgencies05182026am.xlsx"
    total, by_model, by_state = raw_counts(path)
    assert total == 1843
    active = registry.agreements(as_of=date(2026, 5, 18))
    assert len(active) == 1843
    assert Counter(a["model"] for a in active) == by_model
    assert Counter(a["state"] for a in active) == by_state
    assert len(registry.agreements(status="active")) == 1843


def test_every_monthly_sheet_is_reproduced_by_model_and_state(registry: Workspace, data_dir: Path) -> None:
    mismatches = []
    for path in monthly_sheets(data_dir):
        captured = capture_date_from_name(path.name)
        assert captured is not None
        total, by_model, by_state = raw_counts(path)
        models = {row["model"]: row["count"] for row in registry.stats("model", as_of=captured)}
        states = {row["state"]: row["count"] for row in registry.stats("state", as_of=captured)}
        if (sum(models.values()), models, states) != (total, dict(by_model), dict(by_state)):
            mismatches.append(path.name)
    assert mismatches == []


def test_stats_by_month_follows_the_published_sheets(registry: Workspace, data_dir: Path) -> None:
    months = {row["captured"]: row for row in registry.stats("month")}
    for path in monthly_sheets(data_dir)[:: len(monthly_sheets(data_dir)) // 5]:
        captured = capture_date_from_name(path.name)
        assert captured is not None
        total, by_model, _ = raw_counts(path)
        row = months[captured.isoformat()]
        assert row["total"] == total
        assert {k: v for k, v in row.items() if k.startswith("287g")} == dict(by_model)
    assert list(months)[-1] == "2026-05-18"


def test_an_agreement_keeps_its_identity_through_a_rename(registry: Workspace) -> None:
    history = registry.history("ak-department-of-corrections")
    assert "Department of Corrections" in history["agency"]["aliases"]
    assert "Alaska Department of Corrections" in history["agency"]["aliases"]
    (agreement,) = history["agreements"]
    assert agreement["first_seen"] == "2021-01-13"
    assert agreement["status"] == "active"
    renamed = [e for e in history["events"] if e["kind"] == "renamed"]
    assert [(e["date"], e["detail"]["to"]) for e in renamed] == [
        ("2025-04-01", "Alaska Department of Corrections")
    ]
    # cited as ICE's list of that day with its row, never as a bundled file
    assert renamed[0]["source"]["label"] == "ICE, 287(g) participating agencies list of 2025-04-01"
    assert renamed[0]["source"]["url"] == "https://www.ice.gov/identify-and-arrest/287g"
    assert renamed[0]["source"]["row"] and "file" not in renamed[0]["source"]


def test_re_signing_supersedes_the_older_agreement(registry: Workspace) -> None:
    history = registry.history("tn-knox-county-sheriff-s-office")
    by_signed = {a["signed"]: a for a in history["agreements"] if a["model"] == "287g-jem"}
    assert by_signed["2017-06-15"]["status"] == "superseded"
    assert by_signed["2020-06-08"]["first_seen"] == "2021-05-01"
    kinds = {(e["kind"], e["agreement_id"]) for e in history["events"]}
    assert ("superseded", by_signed["2017-06-15"]["id"]) in kinds
    assert ("resigned", by_signed["2020-06-08"]["id"]) in kinds


def test_a_typo_in_the_signed_date_is_a_correction_not_a_new_agreement(registry: Workspace) -> None:
    history = registry.history("tn-grundy-county-sheriff-s-office")
    wso = [a for a in history["agreements"] if a["model"] == "287g-wso"]
    assert len(wso) == 1
    assert wso[0]["signed"] == "2025-07-07"
    changes = [e for e in history["events"] if e["kind"] == "signed_changed"]
    assert changes and changes[0]["detail"] == {"from": "5025-07-07", "to": "2025-07-07"}


def test_two_agencies_with_alike_names_stay_apart(registry: Workspace) -> None:
    cobb = registry.history("ga-cobb-county-sheriff-s-office")
    assert all("Columbia" not in alias for alias in cobb["agency"]["aliases"])
    assert all(
        e["kind"] != "superseded" or "columbia" not in e["detail"].get("by", "") for e in cobb["events"]
    )


def test_filters(registry: Workspace) -> None:
    tx_tfm = registry.agreements(state="tx", model="tfm", as_of=date(2026, 5, 18))
    assert tx_tfm and {(a["state"], a["model"]) for a in tx_tfm} == {("TX", "287g-tfm")}
    removed = registry.agreements(status="removed")
    assert removed and all(a["status"] == "removed" for a in removed)
    assert registry.agreements(as_of=date(2020, 1, 1)) == []
    with pytest.raises(InputError, match="unknown model"):
        registry.agreements(model="jail-ish")
    with pytest.raises(InputError, match="unknown state"):
        registry.agreements(state="Narnia")


def test_unknown_agency_is_not_found(registry: Workspace) -> None:
    with pytest.raises(NotFoundError):
        registry.history("no such agency anywhere")


def test_second_import_changes_nothing_and_says_so(registry: Workspace) -> None:
    before = registry.summary()
    report = registry.import_bundled()
    assert report.changed is False
    assert registry.summary() == before


def _partial_data(tmp_path: Path, data_dir: Path, last: str) -> Path:
    """A data folder holding the monthly sheets captured before `last` (a file-name prefix)."""
    target = tmp_path / "data"
    (target / MONTHLY).mkdir(parents=True)
    shutil.copy(data_dir / "PROVENANCE.md", target / "PROVENANCE.md")
    for path in monthly_sheets(data_dir):
        if path.name < last:
            (target / MONTHLY / path.name).symlink_to(path)
    return target


def test_a_later_sheet_produces_the_right_events(tmp_path: Path, data_dir: Path) -> None:
    workspace = Workspace(tmp_path / "ws", data_dir=_partial_data(tmp_path, data_dir, "20260518"))
    workspace.import_bundled()
    assert len(workspace.agreements(status="active")) == 1779  # the 1 May 2026 sheet
    diff = workspace.import_ice_sheet(
        data_dir / MONTHLY / "20260518_latest__participatingAgencies05182026am.xlsx"
    )
    assert not diff.already_imported
    counts = diff.counts()
    # rows after = rows before + added + restored - removed - superseded (of agreements then active)
    superseded_active = sum(1 for e in diff.events if e["kind"] == "superseded")
    assert (
        1779
        + counts.get("added", 0)
        + counts.get("restored", 0)
        - counts.get("removed", 0)
        - superseded_active
        == 1843
    )
    renamed = {e["agreement_id"]: e["detail"] for e in diff.events if e["kind"] == "renamed"}
    assert (
        renamed["ok-okfusfee-county-sheriff-s-office-tfm-20260422"]["to"]
        == "Okfuskee County Sheriff's Office"
    )
    assert any(
        e["kind"] == "superseded" and e["agreement_id"].startswith("tx-tenaha-police") for e in diff.events
    )
    assert len(workspace.agreements(status="active")) == 1843
    again = workspace.import_ice_sheet(
        data_dir / MONTHLY / "20260518_latest__participatingAgencies05182026am.xlsx"
    )
    assert again.already_imported
    # the user's sheet is kept in the workspace and replayed by later rebuilds
    assert workspace.import_bundled(force=True).changed
    assert len(workspace.agreements(status="active")) == 1843
    workspace.close()


def test_a_bad_file_leaves_the_registry_as_it_was(tmp_path: Path, data_dir: Path) -> None:
    partial = _partial_data(tmp_path, data_dir, "20210601")
    workspace = Workspace(tmp_path / "ws", data_dir=partial)
    workspace.import_bundled()
    before = workspace.summary()
    (partial / MONTHLY / "20210601__participatingAgencies06012021am.xlsx").write_bytes(
        b"PK\x03\x04 truncated"
    )
    with pytest.raises(SourceFormatError, match=r"20210601__participatingAgencies06012021am\.xlsx"):
        workspace.import_bundled()
    assert workspace.summary() == before
    bad = tmp_path / "participatingAgencies07012021am.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(SourceFormatError, match="not a zip archive"):
        workspace.import_ice_sheet(bad)
    assert workspace.summary() == before
    assert not any(workspace.sheets_dir.glob("*")) if workspace.sheets_dir.exists() else True
    workspace.close()


def test_show_a_county_with_every_fact_sourced(registry: Workspace) -> None:
    shown = registry.show("48167")
    assert shown["type"] == "jurisdiction"
    assert shown["jurisdiction"]["id"] == "ocd-division/country:us/state:tx/county:galveston"
    assert shown["parent"]["name"] == "Texas"
    assert shown["summary"]["active_287g"]["287g-tfm"] >= 1
    agencies = {a["agency"] for a in shown["agreements"]}
    assert "Galveston County Sheriff's Office" in agencies
    for record in shown["agreements"]:
        assert record["source"]["label"] and record["source"]["url"] and record["source"]["row"]
    kinds = {fact["kind"] for fact in shown["facts"]}
    assert "secure_communities_activated" in kinds
    assert all(fact["source"]["label"] and fact["source"]["publisher"] for fact in shown["facts"])
    bundled = [f"{folder.name}/" for folder in registry.data_dir.iterdir() if folder.is_dir()]
    assert bundled and not [f for f in bundled if f in str(shown)]  # no bundled file's path
    assert ".csv" not in str(shown) and ".xlsx" not in str(shown) and ".psv" not in str(shown)
    assert registry.show("Galveston County, TX")["jurisdiction"]["fips"] == "48167"
    assert (
        registry.show("ocd-division/country:us/state:tx/county:galveston")["jurisdiction"]["fips"] == "48167"
    )


def test_show_a_sanctuary_county_inherits_its_states_designation(registry: Workspace) -> None:
    shown = registry.show("Alameda County, CA")
    designations = [f for f in shown["facts"] if f["kind"] == "dhs_sanctuary_designation"]
    assert {f["inherited"] for f in designations} == {True, False}  # California and Alameda both listed
    assert shown["summary"]["active_287g"] == {"287g-jem": 0, "287g-wso": 0, "287g-tfm": 0}
    assert shown["summary"]["facilities_used"] >= 1


def test_ambiguous_place_names_ask_for_a_state(registry: Workspace) -> None:
    with pytest.raises(InputError, match="names several places"):
        registry.show("Springfield")
    assert registry.show("Springfield, MO")["jurisdiction"]["level"] == "place"
    with pytest.raises(NotFoundError):
        registry.show("Atlantis, NV")


def test_agencies_are_linked_to_places_and_oris(registry: Workspace) -> None:
    agreements = registry.agreements(as_of=date(2026, 5, 18))
    agencies = {a["agency_id"]: a for a in agreements}
    linked = sum(1 for a in agencies.values() if a["jurisdiction"])
    assert linked / len(agencies) >= 0.95
    galveston_so = next(a for a in agreements if a["agency"] == "Galveston County Sheriff's Office")
    assert galveston_so["jurisdiction"] == "ocd-division/country:us/state:tx/county:galveston"
