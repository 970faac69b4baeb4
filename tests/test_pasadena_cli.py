"""The founding journey through the command line, as a new user would take it: a records request to the
Pasadena Police Department, the MOU it releases, the agreement found, judged, challenged and terminated."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner

from disentangle.cli import main
from disentangle.workspace import Workspace
from fixtures.evidence import assert_letter_quotes_its_sources, pages_of
from fixtures.tff import build_tff_mou

SENDER = ["--signer", "A. Manager", "--title", "City Manager", "--body", "City of Pasadena"]


def run(home: Path, *args: str) -> tuple[str, str]:
    result = CliRunner().invoke(main, ["--workspace", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result.stdout, result.stderr


def test_the_pasadena_journey_through_the_cli(
    registry_copy: Callable[[str], Workspace], tmp_path: Path
) -> None:
    workspace = registry_copy("pasadena-cli")
    home = workspace.home

    # 1. A records request to the Pasadena Police Department, under the California Public Records Act.
    letter, notes = run(
        home,
        "request",
        "new",
        "Pasadena Police Department, CA",
        "--about",
        "tff-mou",
        "--name",
        "A. Organizer",
    )
    assert "California Public Records Act" in letter and "Cal. Gov. Code § 7920.000 et seq." in letter
    due = date.fromisoformat(re.search(r"due (\d{4}-\d\d-\d\d)", notes).group(1))  # type: ignore[union-attr]
    assert date.today() < due <= date.today() + timedelta(days=14)
    request_id = notes.split(":")[0]

    # 2. The MOU it releases, as a born-digital PDF, attached to the request: an agreement found.
    mou = build_tff_mou(tmp_path / "pasadena-mou.pdf", variant="seed", fmt="pdf")
    table, _ = run(home, "request", "attach", request_id, str(mou), "--format", "json")
    (attached,) = json.loads(table)
    assert attached["kind"] == "tff-mou" and attached["review"] == "read"
    agreement_id = attached["agreement_id"]

    # 3. In force, on Pasadena's place page (show) and on the map (the county's row).
    shown = json.loads(run(home, "show", "Pasadena, CA")[0])
    (found,) = [a for a in shown["agreements"] if a["id"] == agreement_id]
    assert found["status"] == "in-force" and found["model"] == "tff-mou" and found["signed"] == "2016-11-28"
    (agency,) = shown["agencies"]
    assert agency["ori"] == "CA0195300" and agency["agreements"][0]["id"] == agreement_id
    county = next(r for r in workspace.county_map() if r["fips"] == "06037")
    assert county["found_in_force"] == 1

    # 4. Judged under Pasadena: the chief of police could not bind the city; it conflicts with § 7284.6.
    judged = json.loads(run(home, "check", str(mou), "--place", "Pasadena, CA", "--format", "json")[0])
    codes = {flag["code"] for flag in judged["flags"] if flag["severity"] == "error"}
    assert "no-authority" in codes
    against = [c["against"]["citation"] + " " + json.dumps(c["against"]) for c in judged["conflicts"]]
    assert any("7284.6" in text for text in against)

    # 5. The notice of invalidity and the termination letter quote the MOU's own words.
    pages = pages_of(workspace.documents.get(attached["sha256"]))
    notice, _ = run(home, "letter", "invalidity", agreement_id, *SENDER)
    termination, _ = run(home, "letter", "terminate", agreement_id, *SENDER)
    for letter_text in (notice, termination):
        assert "It remains in force unless explicitly terminated, in writing, by either party." in letter_text
        assert_letter_quotes_its_sources(letter_text, pages)

    # 6. The termination is sent; the agreement ends on the day its clause gives, the letter as evidence.
    letter_file = tmp_path / "termination.md"
    letter_file.write_text(termination, encoding="utf-8")
    run(
        home,
        "agreement",
        "record",
        agreement_id,
        "termination-sent",
        "--on",
        "2017-02-16",
        "--letter",
        str(letter_file),
    )
    after = json.loads(run(home, "show", "Pasadena, CA")[0])
    (ended,) = [a for a in after["agreements"] if a["id"] == agreement_id]
    assert ended["status"] == "terminated"
    kinds = {(e["kind"], e["date"]) for e in after["events"] if e["agreement_id"] == agreement_id}
    assert {("termination_sent", "2017-02-16"), ("terminated", "2017-02-16")} <= kinds
    assert ("invalidity_drafted", date.today().isoformat()) in kinds
    sent = next(e for e in after["events"] if e["kind"] == "termination_sent")
    assert sent["detail"]["letter"] is True
    history = json.loads(run(home, "agreement", "show", agreement_id)[0])
    assert history["agreement"]["status"] == "terminated"
