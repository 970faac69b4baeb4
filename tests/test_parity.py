"""The CLI and the API answer the same question the same way: cost, scorecard and request due dates."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from disentangle.web import create_app
from disentangle.workspace import Workspace
from test_cli import run  # the real entry point, as a person runs it

GALVESTON = "Galveston County, TX"


@pytest.fixture(scope="module")
def shared(registry_copy: Callable[[str], Workspace]) -> Workspace:
    return registry_copy("parity")


@pytest.fixture(scope="module")
def api(shared: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(shared, cache_seconds=0), base_url="http://127.0.0.1") as client:
        yield client


def cli(home: Path, *args: str) -> Any:
    done = run(home, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("cli_inputs", "api_query"),
    [
        # The case of the issue: the CLI printed $0.00 where the API gave a medium agency's $259,764.67.
        (["--regime", "287g-fy2026", "--set", "officers=2"], {"regime": "287g-fy2026", "officers": "2"}),
        (["--regime", "tff-joint-operations"], {"regime": "tff-joint-operations"}),
        (
            ["--regime", "287g-fy2026", "--size", "small", "--set", "success_rate=0.85"],
            {"regime": "287g-fy2026", "size": "small", "success_rate": "0.85"},
        ),
        (["tx-tye-police-department-tfm-20260217"], {"agreement": "tx-tye-police-department-tfm-20260217"}),
        (
            ["tx-league-city-police-department-tfm-20250922", "--set", "overtime_hours=300"],
            {"agreement": "tx-league-city-police-department-tfm-20250922", "overtime_hours": "300"},
        ),
    ],
)
def test_cost_cli_equals_api(
    shared: Workspace, api: TestClient, cli_inputs: list[str], api_query: dict[str, str]
) -> None:
    from_cli = cli(shared.home, "cost", *cli_inputs, "--format", "json")
    from_api = api.get("/api/cost", params=api_query).json()["estimate"]
    assert from_cli == from_api
    assert from_cli["per_agreement"]["total"] != "0.00"
    assert from_cli["assumptions"], "every default figure is stated as an assumption"


def test_bad_cost_input_is_refused_by_both(shared: Workspace, api: TestClient) -> None:
    done = run(shared.home, "cost", "--regime", "287g-fy2026", "--set", "benefit_load=50")
    answer = api.get("/api/cost", params={"regime": "287g-fy2026", "benefit_load": "50"})
    message = "'benefit_load' is a fraction of base salary between 0 and 1 (0.5 for 50%), not 50"
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr
    assert answer.status_code == 400 and message in answer.json()["error"]


def test_scorecard_cli_equals_api(shared: Workspace, api: TestClient) -> None:
    from_cli = cli(shared.home, "assess", GALVESTON, "--format", "json")
    assert from_cli == api.get(f"/api/scorecard/{GALVESTON}").json()


def test_request_due_dates_cli_equal_api(shared: Workspace, api: TestClient) -> None:
    done = run(shared.home, "request", "new", "tx-league-city-police-department", "--name", "Ana Díaz")
    assert done.returncode == 0, done.stderr
    request_id = done.stderr.split(":")[0].strip()
    today = date.today()
    promised = (today + timedelta(days=40)).isoformat()
    for status, extra in (("sent", []), ("acknowledged", ["--promised", promised])):
        moved = run(shared.home, "request", "update", request_id, status, "--on", today.isoformat(), *extra)
        assert moved.returncode == 0, moved.stderr
    from_cli = cli(shared.home, "request", "list", "--format", "json")
    from_api = api.get("/api/requests").json()
    fields = ("id", "agency", "status", "sent", "due", "overdue_days")
    assert [{k: r[k] for k in fields} for r in from_cli] == [{k: r[k] for k in fields} for r in from_api]
    mine = next(r for r in from_cli if r["id"] == request_id)
    # Texas sets no number of days ("promptly"): the day awaited is the date the agency gave.
    assert (mine["sent"], mine["due"]) == (today.isoformat(), promised)
