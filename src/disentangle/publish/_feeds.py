"""Atom feeds and e-mail digests of alert items: pure functions over what the workspace found.

A feed (per state, county, place, agency or campaign, or the nation) and a digest to a subscriber are two
renderings of the same `AlertItem`s. The words for the registry's codes come in as `Words`, so the web
app, the static site and the digests say the same thing (and a translation is one more `Words`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

from disentangle.model import AlertItem, AlertKind, Subscription

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50  # entries per feed: the newest
DUE_SOON_DAYS = 7  # a request's answer due within this many days is "coming due"

# Event kinds that are a locality's own action, and those that are a document found in records; every
# other event kind is a change on ICE's published lists.
_FOUND = frozenset({"found", "document_found"})
_ACTIONS = frozenset(
    {
        "invalidity_drafted",
        "challenged",
        "termination_drafted",
        "termination_sent",
        "terminated",
        "declared_void",
        "expired",
        "resolution_drafted",
    }
)
# The statuses of a request still waiting for the agency (a due date means something only then).
_OPEN = frozenset({"sent", "acknowledged", "awaiting-response", "extended", "appealed"})


def same(message: str) -> str:
    """A sentence as written here: English."""
    return message


@dataclass(frozen=True, slots=True)
class Words:
    """How the registry's codes and the feeds' sentences read, in one language."""

    event: Callable[[str], str]  # "added" -> "Added to ICE's list"
    model: Callable[[str], str]  # "287g-tfm" -> "287(g) Task Force Model"
    short_model: Callable[[str], str]  # "287g-tfm" -> "TFM"
    source: Callable[[dict[str, Any] | None], str]  # a source record -> one line naming the public record
    # A sentence (an English message with %(name)s placeholders) in this language: a catalog's gettext.
    say: Callable[[str], str] = same


@dataclass(frozen=True, slots=True)
class Feed:
    """One Atom feed: what it follows and its entries, newest first."""

    key: str  # "state/TX", "county/48167", "agency/<id>", "campaign/<id>", "national"
    title: str
    subtitle: str
    path: str  # where the feed lives on the site: "/feeds/county/48167.atom"
    page: str  # the page it follows: "/place/48167"
    items: tuple[AlertItem, ...]


def agency_path(agency_id: str) -> str:
    return "/agency/" + quote(agency_id, safe="~._-")


def feed_path(key: str) -> str:
    """The feed's file under the site: the same in the web app and in a static site."""
    if key == "national":
        return "/feed.atom"
    kind, _, ident = key.partition("/")
    return f"/feeds/{kind}/{quote(ident, safe='~._-')}.atom"


def change_item(change: Mapping[str, Any], words: Words) -> AlertItem:
    """An event of the registry (as `Workspace.latest_changes` gives it) as an alert item."""
    kind = str(change["kind"])
    on = date.fromisoformat(str(change["date"]))
    what = words.event(kind)
    agency = f"{change['agency']} ({change['state']})"
    title = f"{what}: {agency}, {words.short_model(str(change['model']))}"
    details = " ".join(
        f"{str(k).replace('_', ' ')}: {v}."
        for k, v in (change.get("detail") or {}).items()
        if v not in (None, "") and not isinstance(v, dict | list)
    )
    say = words.say
    if kind in _FOUND or kind in _ACTIONS:
        lead = say("%(what)s on %(date)s") % {"what": what, "date": on.isoformat()}
    else:
        lead = say("%(what)s on ICE's list of %(date)s") % {"what": what, "date": on.isoformat()}
    text = (
        say("%(lead)s: %(agency)s, %(model)s, agreement %(agreement)s.")
        % {
            "lead": lead,
            "agency": agency,
            "model": words.model(str(change["model"])),
            "agreement": change["agreement_id"],
        }
        + (f" {details}" if details else "")
        + " "
        + say("Source: %(source)s.") % {"source": words.source(change.get("source"))}
    )
    alert_kind = (
        AlertKind.FOUND if kind in _FOUND else AlertKind.ACTION if kind in _ACTIONS else AlertKind.LIST_CHANGE
    )
    return AlertItem(
        key=f"event:{change['agreement_id']}:{kind}:{on.isoformat()}",
        kind=alert_kind,
        date=on,
        title=title,
        text=text,
        path=agency_path(str(change["agency_id"])),
        agency_id=str(change["agency_id"]),
    )


def request_items(
    requests: Iterable[dict[str, Any]], today: date, say: Callable[[str], str] = same
) -> list[AlertItem]:
    """A records request past its due date, or due within DUE_SOON_DAYS, still waiting for the agency.
    The key names the due date: when the agency promises a later one, the new date is news again."""
    items: list[AlertItem] = []
    for request in requests:
        if request.get("status") not in _OPEN or not request.get("due"):
            continue
        due = date.fromisoformat(str(request["due"]))
        who = f"{request['agency']} ({request['state']})"
        path = f"/requests#{quote(str(request['id']), safe='')}"
        values = {
            "id": request["id"],
            "who": who,
            "due": due.isoformat(),
            "law": request.get("law") or say("the state records law"),
        }
        if today > due:
            values["days"] = (today - due).days
            kind, tag = AlertKind.REQUEST_OVERDUE, "overdue"
            title = say("Overdue: records request %(id)s to %(who)s")
            text = say(
                "The answer to records request %(id)s to %(who)s was due on %(due)s under %(law)s; "
                "%(days)s day(s) overdue. A follow-up letter can be drafted from the requests page."
            )
        elif due - today <= timedelta(days=DUE_SOON_DAYS):
            kind, tag = AlertKind.REQUEST_DUE, "due"
            title = say("Coming due on %(due)s: records request %(id)s to %(who)s")
            text = say("The answer to records request %(id)s to %(who)s is due on %(due)s under %(law)s.")
        else:
            continue
        items.append(
            AlertItem(
                key=f"request:{request['id']}:{tag}:{due.isoformat()}",
                kind=kind,
                date=due,
                title=title % values,
                text=text % values,
                path=path,
                agency_id=request.get("agency_id"),
                request_id=str(request["id"]),
            )
        )
    return items


def found_item(found: dict[str, Any], say: Callable[[str], str] = same) -> AlertItem:
    """An agreement read from records a campaign's request brought out (a campaign's own work)."""
    on = date.fromisoformat(str(found["on"]))
    where = f" ({found['state']})" if found.get("state") else ""
    values = {
        "agency": f"{found['agency_name']}{where}",
        "kind": found["kind"],
        "on": on.isoformat(),
        "request": found.get("request_id") or say("(none)"),
        "review": found["review"],
    }
    return AlertItem(
        key=f"found:{found['sha256']}",
        kind=AlertKind.FOUND,
        date=on,
        title=say("Agreement found in records: %(agency)s") % values,
        text=say(
            "An agreement of %(agency)s, %(kind)s, was read on %(on)s from a document released under "
            "records request %(request)s; review: %(review)s."
        )
        % values,
        path=f"/documents/{found['sha256']}",
        agency_id=found.get("agency_id"),
        request_id=found.get("request_id"),
    )


def sheet_item(sha256: str, captured: date, changes: int, say: Callable[[str], str] = same) -> AlertItem:
    """A sheet of ICE's dropped into the watched folder and imported."""
    values = {"date": captured.isoformat(), "changes": changes}
    return AlertItem(
        key=f"sheet:{sha256}",
        kind=AlertKind.SHEET_IMPORTED,
        date=captured,
        title=say("ICE's 287(g) list of %(date)s imported") % values,
        text=say(
            "The 287(g) list ICE published on %(date)s was found in the watched folder and imported: "
            "%(changes)s change(s) to the registry."
        )
        % values,
        path="/",
    )


def newest_first(items: Iterable[AlertItem], limit: int | None = None) -> tuple[AlertItem, ...]:
    ordered = sorted(items, key=lambda item: (item.date, item.key), reverse=True)
    return tuple(ordered[:limit] if limit is not None else ordered)


def entry_uid(item: AlertItem) -> str:
    """The entry's Atom id: the same item has the same id in every feed and every run."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"disentangle:{item.key}").urn


def atom_xml(feed: Feed, base: str, *, generator_version: str = "") -> str:
    """The feed as an Atom 1.0 document. `base` is the site's address ("" for a static site's relative
    links would break feed readers, so a static site passes the address it will be served from)."""
    base = base.rstrip("/")
    ElementTree.register_namespace("", ATOM)
    root = ElementTree.Element(f"{{{ATOM}}}feed")

    def sub(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> None:
        element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text

    sub(root, "title", feed.title)
    sub(root, "subtitle", feed.subtitle)
    sub(root, "id", uuid.uuid5(uuid.NAMESPACE_URL, f"disentangle:feed:{feed.key}:{base}").urn)
    newest = max((item.date for item in feed.items), default=None)
    sub(root, "updated", _atom_time(newest))
    sub(root, "link", rel="self", type="application/atom+xml", href=base + feed.path)
    sub(root, "link", rel="alternate", type="text/html", href=base + feed.page)
    sub(root, "generator", "Disentangle", version=generator_version)
    for item in feed.items:
        entry = ElementTree.SubElement(root, f"{{{ATOM}}}entry")
        sub(entry, "id", entry_uid(item))
        sub(entry, "title", item.title)
        sub(entry, "updated", _atom_time(item.date))
        sub(entry, "link", rel="alternate", type="text/html", href=base + item.path)
        author = ElementTree.SubElement(entry, f"{{{ATOM}}}author")
        sub(author, "name", "Disentangle")
        sub(entry, "category", term=item.kind.value)
        sub(entry, "content", item.text, type="text")
    body = ElementTree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def _atom_time(day: date | None) -> str:
    if day is None:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{day.isoformat()}T00:00:00Z"


def marked(message: str) -> str:
    """A sentence to be said later (through `say`): marked here so the catalog finds it."""
    return message


# Digest sections in the order a reader needs them: what ICE's list says first, deadlines last.
_SECTIONS: tuple[tuple[AlertKind, str], ...] = (
    (AlertKind.LIST_CHANGE, marked("Changes on ICE's published 287(g) lists")),
    (AlertKind.FOUND, marked("Agreements found in records")),
    (AlertKind.ACTION, marked("What the locality did")),
    (AlertKind.REQUEST_OVERDUE, marked("Records requests overdue")),
    (AlertKind.REQUEST_DUE, marked("Records requests coming due")),
    (AlertKind.SHEET_IMPORTED, marked("Lists imported")),
)


def digest_message(
    subscription: Subscription,
    items: Sequence[AlertItem],
    *,
    sender: str,
    base: str,
    now: datetime | None = None,
    say: Callable[[str], str] = same,
) -> EmailMessage:
    """One plain-text e-mail carrying every new item for a subscription, grouped by what it tells, in the
    language of `say` (the items come worded already)."""
    now = now or datetime.now(UTC)
    base = base.rstrip("/")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = subscription.email
    count = len(items)
    values = {"num": count, "label": subscription.label, "email": subscription.email}
    message["Subject"] = (
        say("Disentangle: 1 update for %(label)s") % values
        if count == 1
        else say("Disentangle: %(num)s updates for %(label)s") % values
    )
    message["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2] or "disentangle.local"
    message["Message-ID"] = make_msgid("digest", domain=domain)
    lines = [say("Updates for %(label)s, which you follow with Disentangle.") % values, ""]
    for kind, heading in _SECTIONS:
        part = [item for item in items if item.kind is kind]
        if not part:
            continue
        heading = say(heading)
        lines += [heading, "-" * len(heading)]
        for item in newest_first(part):
            lines += [f"* {item.title}", f"  {item.text}", f"  {base}{item.path}", ""]
    lines += [
        "--",
        say("You receive this because %(email)s follows %(label)s (%(scope)s).")
        % {**values, "scope": subscription.scope.value},
        say("To stop: %(command)s")
        % {"command": f"disentangle unsubscribe {subscription.email} {_scope_option(subscription)}"},
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def _scope_option(subscription: Subscription) -> str:
    option = {"campaign": "--campaign", "agency": "--agency"}.get(subscription.scope.value, "--place")
    return f"{option} {subscription.scope_id}"
