"""287(g) records older than ICE's workbooks: read as dated claims, tied to agencies, and shown as history."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from disentangle.errors import SourceFormatError
from disentangle.model import AgreementKind, EventKind, Source
from disentangle.sources import ice_archive
from disentangle.sources.ice_archive import Claim, RegistryAgreement
from disentangle.workspace import Workspace

LASD = "ca-los-angeles-county-sheriff-s-department-ca0190000"


def test_every_row_of_the_three_records_is_read(data_dir: Path) -> None:
    claims = ice_archive.read_claims(data_dir)
    by_record = {r: sum(1 for c in claims if c.record == r) for r in ("ice-lists", "oig-2009", "ice-archive")}
    assert by_record == {"ice-lists": 69, "oig-2009": 67, "ice-archive": 141}
    harris = next(
        c for c in claims if c.record == "oig-2009" and c.agency == "Harris County Sheriff's Office"
    )
    assert (harris.status, harris.kind, harris.signed, harris.as_of) == (
        "pending",
        AgreementKind.JEM,
        date(2008, 7, 20),
        date(2009, 10, 28),
    )
    mesa = next(c for c in claims if c.record == "ice-archive" and c.agency == "Mesa Police Department")
    assert (mesa.kind, mesa.signed) == (AgreementKind.JEM, date(2016, 6, 23))


def test_a_bad_date_names_the_file_and_line(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / ice_archive.FOLDER
    folder.mkdir()
    shutil.copy(data_dir / ice_archive.OIG_FILE, folder)
    path = folder / "historical-oig-2009.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2007-02-07", "2007-02-31"), encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"line \d+: '2007-02-31' is not a date") as raised:
        ice_archive.read_claims(tmp_path)
    assert "historical-oig-2009.csv" in str(raised.value)


def _claim(status: str, signed: date | None, as_of: date | None, kind: AgreementKind | None = None) -> Claim:
    return Claim(
        "oig-2009", Source("x", "f", 1), "TX", "Example Sheriff's Office", kind, signed, as_of, status
    )


def test_a_claim_dated_like_a_listed_agreement_is_an_earlier_event_of_it() -> None:
    listed = RegistryAgreement("tx-example-jem-20200608", "tx-example", AgreementKind.JEM, date(2020, 6, 8))
    claims = [
        _claim("document", date(2020, 6, 9), None, AgreementKind.JEM),  # the archive is off by a day
        _claim("signed", date(2007, 8, 1), date(2009, 10, 28), AgreementKind.JEM),
        _claim("listed", None, date(2008, 3, 10)),
        _claim("pending", date(2008, 7, 20), date(2009, 10, 28), AgreementKind.TFM),
    ]
    history = ice_archive.build_history(claims, lambda state, name: "tx-example", [listed])
    by_target = {(e.agreement_id, e.kind, e.date) for e in history.events}
    assert ("tx-example-jem-20200608", EventKind.SIGNED, date(2020, 6, 9)) in by_target
    old = next(a for a in history.agreements if a.signed == date(2007, 8, 1))
    assert (old.id, EventKind.LISTED, date(2009, 10, 28)) in by_target
    assert (old.id, EventKind.LISTED, date(2008, 3, 10)) in by_target  # the 2008 list: signed before it
    request = next(a for a in history.agreements if a.requested)
    assert request.kind is AgreementKind.TFM and request.signed is None  # pending is no signed agreement
    assert (request.id, EventKind.PENDING, date(2009, 10, 28)) in by_target


def test_a_claim_no_agency_answers_to_is_kept_unlinked() -> None:
    history = ice_archive.build_history([_claim("listed", None, date(2007, 9, 19))], lambda s, n: None, [])
    assert history.unlinked and not history.agreements and history.linked == 0


def _events(registry: Workspace, agency: str) -> list[dict]:  # type: ignore[type-arg]
    return registry.history(agency)["events"]


def test_los_angeles_maricopa_mesa_and_harris_appear_with_their_records(registry: Workspace) -> None:
    lasd = registry.history(LASD)
    (early,) = [a for a in lasd["agreements"] if a["status"] == "historical"]
    listed = [e for e in lasd["events"] if e["kind"] == "listed"]
    assert [e["date"] for e in listed] == ["2007-09-19", "2008-03-10"]
    assert all(e["source"]["label"].startswith("ICE, 287(g) partners page") for e in listed)
    assert all(e["source"]["url"].startswith("https://web.archive.org/") for e in listed)
    assert early["early"]["documents"] == ["losangeles_county_board_of_supervisors.pdf"]

    maricopa = _events(registry, "az-maricopa-county-sheriff-s-office-az0070000")
    assert ("signed", "2007-02-07") in {(e["kind"], e["date"]) for e in maricopa}
    assert any(e["source"]["label"].startswith("DHS Office of Inspector General") for e in maricopa)

    mesa = registry.history("az-mesa-police-department")
    kinds = {(a["model"], a["status"], a["signed"]) for a in mesa["agreements"]}
    assert ("287g-jem", "historical", "2016-06-23") in kinds  # ICE's archive; re-signed 2020-06-08
    assert ("287g-jem", "active", "2020-06-08") in kinds
    pending = [e for e in mesa["events"] if e["kind"] == "pending"]
    assert [e["date"] for e in pending] == ["2009-10-28"]

    harris = _events(registry, "tx-harris-county-sheriff-s-office-tx1010000")
    (request,) = [e for e in harris if e["kind"] == "pending"]
    assert request["detail"]["date_printed"] == "2008-07-20"


def test_an_agreement_signed_before_the_lists_begin_gets_its_signing_from_the_archive(
    registry: Workspace,
) -> None:
    events = _events(registry, "ga-cobb-county-sheriff-s-office")
    jem = [e for e in events if e["agreement_id"] == "ga-cobb-county-sheriff-s-office-jem-20200609"]
    assert [(e["kind"], e["date"]) for e in jem][:2] == [("signed", "2020-06-09"), ("added", "2021-01-13")]
    assert jem[0]["source"]["label"].startswith("ICE, 287(g) agreement archive")


def test_los_angeles_county_has_no_agreement_in_force(registry: Workspace) -> None:
    shown = registry.show("Los Angeles County, CA")
    summary = shown["summary"]
    assert summary["active_287g"] == {"287g-jem": 0, "287g-wso": 0, "287g-tfm": 0}
    assert summary["detention_in_force"] == 0 and summary["in_force_found"] == 0
    assert summary["facilities_used"] >= 7 and summary["facility_list_of"] == "2017-11-04"
    assert {a["status"] for a in shown["agreements"]} <= {"listed", "historical"}
    row = {r["id"]: r for r in registry.county_map()}["ocd-division/country:us/state:ca/county:los_angeles"]
    assert row["detention"] == 0 and row["facilities_used"] == summary["facilities_used"]
    card = registry.assess("Los Angeles County, CA").row("contracts")
    assert not [e for e in card.evidence if e.kind.value == "registry"]
    assert card.signals  # the facilities and the old agreement are shown, dated, never as an answer


def test_what_is_no_agreement_stays_out(registry: Workspace) -> None:
    cook = registry.show("Cook County, IL")
    assert all(a["status"] != "historical" for a in cook["agreements"])
