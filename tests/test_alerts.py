"""Alerts: importing a newly published ICE sheet mails the subscribers of the counties it changed, and only
them, through a real SMTP server on loopback (aiosmtpd); each item once; feeds per place and agency."""

from __future__ import annotations

import email
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from disentangle.cli import main
from disentangle.errors import InputError, NotFoundError
from disentangle.model import AlertKind, AlertScope
from disentangle.publish._feeds import atom_xml, request_items
from disentangle.publish._mail import SmtpRelay
from disentangle.web._alerts import english_words
from disentangle.workspace import Workspace

MONTHLY = "ice-287g-monthly/participating_monthly"
LATEST = "20260518_latest__participatingAgencies05182026am.xlsx"
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Inbox:
    """What the SMTP server received: one parsed message per delivery, with its envelope recipients."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.messages if address in rcpt]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, f"127.0.0.1:{controller.port}"
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def before_latest(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, Path]:
    """All bundled data but ICE's list of 2026-05-18, and a workspace built from it: (data, workspace)."""
    root = tmp_path_factory.mktemp("alerts")
    target = root / "data"
    (target / MONTHLY).mkdir(parents=True)
    shutil.copy(data_dir / "PROVENANCE.md", target / "PROVENANCE.md")
    for folder in data_dir.iterdir():
        if folder.is_dir() and folder.name != "ice-287g-monthly":
            (target / folder.name).symlink_to(folder)
    (target / "ice-287g-monthly" / "pending_monthly").symlink_to(
        data_dir / "ice-287g-monthly/pending_monthly"
    )
    for path in sorted((data_dir / MONTHLY).glob("*.xlsx")):
        if path.name < "20260518":
            (target / MONTHLY / path.name).symlink_to(path)
    workspace = Workspace(root / "ws", data_dir=target)
    workspace.import_bundled()
    workspace.close()
    return target, root / "ws"


@pytest.fixture
def workspace_before(
    before_latest: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """A copy of the workspace before the latest sheet (each test writes its own); the CLI reads the same
    data folder."""
    data, built = before_latest
    home = tmp_path / "ws"
    shutil.copytree(built, home)
    monkeypatch.setenv("DISENTANGLE_DATA_DIR", str(data))
    return data, home


def _cli(home: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--workspace", str(home), *args], catch_exceptions=False)
    return result


def test_a_new_ice_sheet_mails_the_affected_counties_only(
    workspace_before: tuple[Path, Path], smtp: tuple[Inbox, str], data_dir: Path
) -> None:
    inbox, relay = smtp
    _data, home = workspace_before
    follows = {
        "carroll@example.org": "Carroll County, AR",  # two agreements of its sheriff added on 2026-05-18
        "shelby@example.org": "48419",  # Shelby County, TX: the Tenaha police agreement re-signed
        "galveston@example.org": "Galveston County, TX",  # nothing of it changed on that list
        "alameda@example.org": "Alameda County, CA",  # no agreement at all
    }
    for address, place in follows.items():
        result = _cli(home, "subscribe", address, "--place", place)
        assert result.exit_code == 0, result.output
    # the same county followed in Spanish: the same items, worded in Spanish
    spanish = _cli(
        home, "subscribe", "carroll-es@example.org", "--place", "Carroll County, AR", "--lang", "es"
    )
    assert spanish.exit_code == 0 and '"language": "es"' in spanish.output
    # nothing happened since they subscribed: nothing is sent
    first = _cli(home, "alerts", "send", "--smtp", relay, "--from", "watch@example.org")
    assert first.exit_code == 0, first.output
    assert inbox.messages == []

    # ICE publishes a list; someone drops it into the watched folder; the scheduled run imports and mails
    (home / "watch").mkdir()
    shutil.copy(data_dir / MONTHLY / LATEST, home / "watch" / LATEST)
    sent = _cli(home, "alerts", "send", "--smtp", relay, "--from", "watch@example.org")
    assert sent.exit_code == 0, sent.output
    assert "imported ICE's list of 2026-05-18" in sent.stderr

    assert sorted(r for rcpt, _ in inbox.messages for r in rcpt) == [
        "carroll-es@example.org",
        "carroll@example.org",
        "shelby@example.org",
    ]
    (carroll_es,) = inbox.to("carroll-es@example.org")
    raw = carroll_es.get_payload(decode=True)
    assert isinstance(raw, bytes)
    cuerpo = raw.decode(carroll_es.get_content_charset() or "utf-8")
    assert carroll_es["Subject"] == "Disentangle: 3 novedades sobre Carroll County, AR"
    assert cuerpo.count("Añadido a la lista de ICE: Carroll County Sheriff's Office (AR)") == 2
    assert "Cambios en las listas 287(g) publicadas por ICE" in cuerpo and "Fuente: ICE" in cuerpo
    assert "Lista 287(g) de ICE del 2026-05-18 importada" in cuerpo
    assert "Source:" not in cuerpo and "Added to ICE's list" not in cuerpo
    (carroll,) = inbox.to("carroll@example.org")
    body = carroll.get_payload()
    assert isinstance(body, str)
    assert carroll["Subject"] == "Disentangle: 3 updates for Carroll County, AR"
    assert carroll["From"] == "watch@example.org"
    assert body.count("Added to ICE's list: Carroll County Sheriff's Office (AR)") == 2
    assert "Caraway Police Department" not in body  # added the same day, in Craighead County
    assert "ICE's 287(g) list of 2026-05-18 imported" in body
    assert "/agency/ar-carroll-county-sheriff-s-office" in body
    assert "Source: ICE, 287(g) list of 2026-05-18" in body
    assert ".xlsx" not in body and str(home) not in body  # no file path reaches a person
    (shelby,) = inbox.to("shelby@example.org")
    shelby_body = shelby.get_payload()
    assert isinstance(shelby_body, str) and "Tenaha" in shelby_body

    # a re-run sends nothing: each item goes once
    again = _cli(home, "alerts", "send", "--smtp", relay, "--from", "watch@example.org")
    assert again.exit_code == 0 and "nothing new for any subscriber" in again.stderr
    assert len(inbox.messages) == 3


def test_subscriptions_end_and_refuse_bad_input(workspace_before: tuple[Path, Path]) -> None:
    _data, home = workspace_before
    workspace = Workspace(home)
    words = english_words()
    one = workspace.subscribe("A@Example.org", words, place="Carroll County, AR")
    again = workspace.subscribe("a@example.org", words, place="05015")  # the same county by FIPS
    assert one.id == again.id and one.scope is AlertScope.COUNTY
    texas = workspace.subscribe("a@example.org", words, place="TX")
    assert texas.scope is AlertScope.STATE and texas.label == "Texas"
    assert {s.label for s in workspace.subscriptions()} == {"Carroll County, AR", "Texas"}
    with pytest.raises(InputError, match="not an e-mail address"):
        workspace.subscribe("not-an-address", words, place="TX")
    with pytest.raises(NotFoundError):
        workspace.subscribe("a@example.org", words, place="Nowhere County, ZZ")
    with pytest.raises(InputError, match="name one thing"):
        workspace.subscribe("a@example.org", words)
    ended = workspace.unsubscribe("a@example.org", place="Carroll County, AR")
    assert [s.label for s in ended] == ["Carroll County, AR"]
    assert [s.label for s in workspace.subscriptions()] == ["Texas"]
    result = _cli(home, "unsubscribe", "a@example.org")
    assert result.exit_code == 0 and "no longer follows Texas" in result.stderr
    assert workspace.subscriptions() == []
    bad = _cli(home, "alerts", "send", "--smtp", "no-port-here:x")
    assert (
        bad.exit_code == 1
        and bad.stderr.strip() == "error: the SMTP server must be HOST:PORT, not 'no-port-here:x'"
    )
    workspace.close()


def test_an_unreachable_smtp_server_is_one_line_and_nothing_is_remembered(
    workspace_before: tuple[Path, Path], data_dir: Path
) -> None:
    _data, home = workspace_before
    workspace = Workspace(home)
    words = english_words()
    workspace.subscribe("carroll@example.org", words, place="Carroll County, AR")
    workspace.import_ice_sheet(data_dir / MONTHLY / LATEST)
    closed = SmtpRelay("127.0.0.1", _free_port())
    with pytest.raises(InputError, match=r"SMTP server 127\.0\.0\.1:\d+"):
        workspace.send_alerts(words, closed, sender="w@example.org", base="http://x")
    pending = workspace.pending_digests(words, today=date(2026, 12, 6))
    assert [(s.email, len(items)) for s, items in pending] == [("carroll@example.org", 2)]
    workspace.close()


def test_feeds_per_state_county_and_agency(workspace_before: tuple[Path, Path], data_dir: Path) -> None:
    _data, home = workspace_before
    workspace = Workspace(home)
    workspace.import_ice_sheet(data_dir / MONTHLY / LATEST)
    words = english_words()
    county = workspace.alert_feed(words, place="Carroll County, AR")
    assert county.path == "/feeds/county/05015.atom" and county.page == "/place/05015"
    newest = [i for i in county.items if i.date == date(2026, 5, 18)]
    assert len(newest) == 2 and all(i.kind is AlertKind.LIST_CHANGE for i in newest)
    state = workspace.alert_feed(words, place="AR")
    assert state.path == "/feeds/state/AR.atom"
    assert {i.key for i in newest} <= {i.key for i in state.items}
    assert all("(AR)" in i.title for i in state.items)
    agency = workspace.alert_feed(words, agency="ar-carroll-county-sheriff-s-office")
    assert {i.key for i in agency.items} == {i.key for i in county.items}
    xml = atom_xml(county, "https://example.org/")
    root = ElementTree.fromstring(xml)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(county.items)
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "https://example.org/feeds/county/05015.atom"  # type: ignore[union-attr]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    # the same item has the same id in every feed it is in
    state_ids = {
        e.findtext(f"{ATOM}id") for e in ElementTree.fromstring(atom_xml(state, "x")).iter(f"{ATOM}entry")
    }
    assert set(ids[:2]) <= state_ids
    workspace.close()


@pytest.mark.parametrize(
    ("status", "due", "today", "expected"),
    [
        ("sent", "2026-06-10", "2026-06-05", AlertKind.REQUEST_DUE),  # due in 5 days
        ("sent", "2026-06-10", "2026-06-10", AlertKind.REQUEST_DUE),  # due today
        ("acknowledged", "2026-06-10", "2026-06-11", AlertKind.REQUEST_OVERDUE),
        ("sent", "2026-06-30", "2026-06-05", None),  # not due for weeks
        ("fulfilled", "2026-06-10", "2026-06-11", None),  # answered: no deadline
        ("draft", None, "2026-06-11", None),  # never sent
    ],
)
def test_requests_coming_due_or_overdue(
    status: str, due: str | None, today: str, expected: AlertKind | None
) -> None:
    row = {
        "id": "r1",
        "agency": "X PD",
        "state": "TX",
        "law": "Tex. Gov't Code § 552",
        "status": status,
        "due": due,
    }
    items = request_items([row], date.fromisoformat(today))
    assert [i.kind for i in items] == ([expected] if expected else [])
    if expected:
        assert items[0].key.startswith(
            f"request:r1:{'overdue' if expected is AlertKind.REQUEST_OVERDUE else 'due'}:"
        )
