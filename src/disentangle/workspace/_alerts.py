"""Alerts: feeds per state, county, place, agency and campaign; subscriptions; digests sent once per item."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from disentangle.errors import InputError, NotFoundError
from disentangle.model import (
    AlertItem,
    AlertKind,
    AlertScope,
    Subscription,
    SubscriptionStatus,
    normalize_state,
)
from disentangle.publish import _feeds as feeds
from disentangle.publish._mail import SmtpRelay
from disentangle.registry import tables as t
from disentangle.workspace._accounts import HoldingKind
from disentangle.workspace._discovery import DiscoveryMixin
from disentangle.workspace._importing import ImportMixin, SheetDiff, _sha256
from disentangle.workspace._publishing import SiteContents
from disentangle.workspace._rows import _change_json, _changes_select

_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
WATCH_FOLDER = "watch"  # under the workspace: ICE sheets dropped here are imported by `alerts send`
_PLACE_LEVELS = {"state": AlertScope.STATE, "county": AlertScope.COUNTY}


@dataclass(slots=True)
class AlertRun:
    """What one `alerts send` did: the sheets it imported, and each digest sent (or that would be)."""

    imported: list[SheetDiff] = field(default_factory=list)
    digests: list[dict[str, Any]] = field(default_factory=list)  # subscription, email, items, message_id
    skipped: list[str] = field(default_factory=list)  # watched files that are not ICE sheets, with why

    def to_json(self) -> dict[str, Any]:
        return {
            "imported": [
                {"file": d.file, "captured": d.captured.isoformat(), "changes": len(d.events)}
                for d in self.imported
            ],
            "digests": self.digests,
            "skipped": self.skipped,
        }


def _feed(
    scope: AlertScope,
    key: str,
    page: str,
    label: str,
    items: Sequence[AlertItem],
    say: Callable[[str], str] = feeds.same,
) -> feeds.Feed:
    """A feed of a scope with its title and subtitle, in the language of `say`."""
    return feeds.Feed(
        key=key,
        title=say("%(label)s: agreements with ICE, changes") % {"label": label},
        subtitle=(
            say(
                "Agreements of %(label)s added to, removed from or changed on ICE's published 287(g) lists, "
                "and agreements found in records, from the Disentangle registry."
            )
            if scope is not AlertScope.CAMPAIGN
            else say("The records requests of the campaign %(label)s: deadlines and what they brought out.")
        )
        % {"label": label},
        path=feeds.feed_path(key),
        page=page,
        items=tuple(items),
    )


DIGEST_LANGUAGES = ("en", "es")


class AlertsMixin(ImportMixin, DiscoveryMixin):
    # ------------------------------------------------------------------ scopes

    def alert_scope(
        self, *, place: str | None = None, agency: str | None = None, campaign: str | None = None
    ) -> tuple[AlertScope, str, str]:
        """What a subscription or a feed follows, as (scope, id, label); exactly one of the three."""
        given = [v for v in (place, agency, campaign) if v]
        if len(given) != 1:
            raise InputError("name one thing to follow: --place, --agency or --campaign")
        if campaign:
            with self.store.read() as connection:
                row = connection.execute(
                    select(t.campaigns.c.id, t.campaigns.c.title).where(t.campaigns.c.id == campaign.strip())
                ).first()
            if row is None:
                raise NotFoundError(f"no campaign {campaign!r}; see `disentangle campaign list`")
            return AlertScope.CAMPAIGN, row.id, row.title
        if agency:
            record = self._find_agency(agency)
            return AlertScope.AGENCY, record["id"], f"{record['name']} ({record['state']})"
        assert place is not None
        code = normalize_state(place.strip())
        jurisdiction = (
            self._find_jurisdiction(f"ocd-division/country:us/state:{code.lower()}") if code else None
        ) or self._find_jurisdiction(place)
        if jurisdiction is None:
            raise NotFoundError(f"no place matches {place!r}; try `disentangle search`")
        scope = _PLACE_LEVELS.get(jurisdiction["level"], AlertScope.PLACE)
        label = jurisdiction["name"]
        if scope is not AlertScope.STATE and jurisdiction.get("state"):
            label = f"{label}, {jurisdiction['state']}"
        return scope, jurisdiction["id"], label

    # ------------------------------------------------------------------ items and feeds

    def alert_items(
        self, scope: AlertScope, scope_id: str, words: feeds.Words, *, today: date, private: bool = True
    ) -> list[AlertItem]:
        """Everything a digest or a feed of this scope can carry, newest first. `private=False` keeps
        only the public registry's events (a published feed); True adds the person's own records requests
        coming due or overdue (a digest, the local app)."""
        if scope is AlertScope.CAMPAIGN:
            return list(feeds.newest_first(self._campaign_items(scope_id, today, words.say)))
        agreement_ids = self._agreements_in_scope(scope, scope_id)
        items = [feeds.change_item(change, words) for change in self._changes_of(agreement_ids)]
        if private:
            agency_ids = {item.agency_id for item in items if item.agency_id} | self._agencies_in_scope(
                scope, scope_id
            )
            requests = self.records_requests_for(sorted(agency_ids), today=today) if agency_ids else []
            rows = self._request_agencies(requests)
            items += feeds.request_items(rows, today, words.say)
        return list(feeds.newest_first(items))

    def alert_feed(
        self,
        words: feeds.Words,
        *,
        place: str | None = None,
        agency: str | None = None,
        campaign: str | None = None,
        today: date | None = None,
        limit: int = feeds.FEED_SIZE,
    ) -> feeds.Feed:
        """The Atom feed of a state, county, place, agency or campaign: its newest items. Only a campaign's
        feed (the person's own work, served by the local app) carries records requests."""
        if campaign is not None:  # a campaign's feed is its organisation's work
            self.require_visible(HoldingKind.CAMPAIGN, campaign)
        scope, scope_id, label = self.alert_scope(place=place, agency=agency, campaign=campaign)
        today = today or datetime.now(UTC).date()
        items = self.alert_items(scope, scope_id, words, today=today, private=scope is AlertScope.CAMPAIGN)
        key, page = self._feed_key(scope, scope_id)
        return _feed(scope, key, page, label, items[:limit], words.say)

    def public_feeds(self, contents: SiteContents, words: feeds.Words) -> list[feeds.Feed]:
        """The feed of every state, county, place (with a FIPS code) and agency of a static site, from the
        public registry only: events that cite a public record (ICE's lists), of agreements that are not
        private; never a campaign, a records request or a person's own action. One query for them all."""
        private = contents.private_agreements
        with self.store.read() as connection:
            rows = connection.execute(_changes_select().where(t.events.c.source_id.is_not(None))).all()
            placed = connection.execute(
                select(
                    t.agreements.c.id, t.agreements.c.jurisdiction_id, t.agencies.c.jurisdiction_id
                ).outerjoin(t.agencies, t.agencies.c.id == t.agreements.c.agency_id)
            ).all()
            counted = connection.execute(
                select(t.agency_counties.c.agency_id, t.agency_counties.c.county_id).where(
                    t.agency_counties.c.counted
                )
            ).all()
        by_agency: dict[str, list[AlertItem]] = {}
        by_state: dict[str, list[AlertItem]] = {}
        by_agreement: dict[str, list[AlertItem]] = {}
        for row in rows:
            change = dict(_change_json(row))
            if change["agreement_id"] in private or not change.get("source"):
                continue
            item = feeds.change_item(change, words)
            by_agency.setdefault(str(change["agency_id"]), []).append(item)
            by_state.setdefault(str(change["state"]), []).append(item)
            by_agreement.setdefault(str(change["agreement_id"]), []).append(item)
        by_place: dict[str, list[AlertItem]] = {}
        for agreement_id, own, agency_place in placed:
            for place in {own, agency_place} - {None}:
                by_place.setdefault(place, []).extend(by_agreement.get(agreement_id, []))
        by_county: dict[str, list[AlertItem]] = {}
        for agency_id, county_id in counted:
            by_county.setdefault(county_id, []).extend(by_agency.get(agency_id, []))
        out: list[feeds.Feed] = []
        for place in contents.jurisdictions:
            level, state, fips = place["level"], place.get("state"), place.get("fips")
            page = f"/place/{fips or place['id']}"
            label = (
                place["name"] if level == "state" else f"{place['name']}, {state}" if state else place["name"]
            )
            if level == "state" and state:
                key, items = f"state/{state}", by_state.get(state, [])
            elif level == "county" and fips:
                key, items = f"county/{fips}", by_county.get(place["id"], [])
            elif fips:
                key, items = f"place/{fips}", by_place.get(place["id"], [])
            else:
                continue  # no feed address: its page links none
            scope = _PLACE_LEVELS.get(level, AlertScope.PLACE)
            out.append(_feed(scope, key, page, label, feeds.newest_first(items, feeds.FEED_SIZE), words.say))
        for agency in contents.agencies:
            items = by_agency.get(agency["id"], [])
            label = f"{agency['name']} ({agency['state']})"
            key = f"agency/{agency['id']}"
            page = feeds.agency_path(agency["id"])
            newest = feeds.newest_first(items, feeds.FEED_SIZE)
            out.append(_feed(AlertScope.AGENCY, key, page, label, newest, words.say))
        return out

    def national_feed(self, words: feeds.Words, limit: int = feeds.FEED_SIZE) -> feeds.Feed:
        """The nation's newest changes, as the home page's feed has always carried them."""
        items = [feeds.change_item(change, words) for change in self.latest_changes(limit)]
        return feeds.Feed(
            key="national",
            title=words.say("Changes to ICE's 287(g) lists"),
            subtitle=words.say(
                "Agreements added to, removed from or changed on ICE's published 287(g) lists, "
                "from the Disentangle registry."
            ),
            path=feeds.feed_path("national"),
            page="/",
            items=tuple(items),
        )

    def _feed_key(self, scope: AlertScope, scope_id: str) -> tuple[str, str]:
        """The feed's key (and so its path) and the page it follows."""
        if scope is AlertScope.CAMPAIGN:
            return f"campaign/{scope_id}", f"/campaign/{scope_id}"
        if scope is AlertScope.AGENCY:
            return f"agency/{scope_id}", feeds.agency_path(scope_id)
        with self.store.read() as connection:
            row = connection.execute(
                select(t.jurisdictions.c.fips, t.jurisdictions.c.state).where(
                    t.jurisdictions.c.id == scope_id
                )
            ).first()
        if scope is AlertScope.STATE and row is not None and row.state:
            return f"state/{row.state}", f"/place/{row.fips or scope_id}"
        ident = (row.fips if row is not None else None) or scope_id.rpartition("/")[2]
        return f"{scope.value}/{ident}", f"/place/{(row.fips if row is not None else None) or scope_id}"

    def _agreements_in_scope(self, scope: AlertScope, scope_id: str) -> list[str]:
        a, g, ac = t.agreements, t.agencies, t.agency_counties
        with self.store.read() as connection:
            if scope is AlertScope.STATE:
                code = connection.scalar(
                    select(t.jurisdictions.c.state).where(t.jurisdictions.c.id == scope_id)
                )
                query = select(a.c.id).where(a.c.state == code)
            elif scope is AlertScope.COUNTY:
                counted = select(ac.c.agency_id).where(ac.c.county_id == scope_id, ac.c.counted)
                query = select(a.c.id).where(a.c.agency_id.in_(counted))
            elif scope is AlertScope.AGENCY:
                query = select(a.c.id).where(a.c.agency_id == scope_id)
            else:
                own = select(g.c.id).where(g.c.jurisdiction_id == scope_id)
                query = select(a.c.id).where(or_(a.c.agency_id.in_(own), a.c.jurisdiction_id == scope_id))
            return list(connection.scalars(query))

    def _agencies_in_scope(self, scope: AlertScope, scope_id: str) -> set[str]:
        """The agencies a place's records requests may go to (those without any agreement included)."""
        g, ac = t.agencies, t.agency_counties
        with self.store.read() as connection:
            if scope is AlertScope.AGENCY:
                return {scope_id}
            if scope is AlertScope.STATE:
                code = connection.scalar(
                    select(t.jurisdictions.c.state).where(t.jurisdictions.c.id == scope_id)
                )
                asked = select(t.records_requests.c.agency_id).where(t.records_requests.c.state == code)
                return set(connection.scalars(select(g.c.id).where(g.c.id.in_(asked))))
            if scope is AlertScope.COUNTY:
                query = select(ac.c.agency_id).where(ac.c.county_id == scope_id, ac.c.counted)
            else:
                query = select(g.c.id).where(g.c.jurisdiction_id == scope_id)
            return set(connection.scalars(query))

    def _changes_of(self, agreement_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The events of these agreements, as `latest_changes` gives them."""
        if not agreement_ids:
            return []
        out: list[dict[str, Any]] = []
        ids = list(agreement_ids)
        with self.store.read() as connection:
            for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
                chunk = ids[start : start + 900]
                rows = connection.execute(_changes_select().where(t.events.c.agreement_id.in_(chunk))).all()
                out += [dict(_change_json(row)) for row in rows]
        return out

    def _request_agencies(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The request rows with the agency each was sent to (the alert links to it)."""
        if not requests:
            return []
        with self.store.read() as connection:
            agency_of = dict(
                connection.execute(
                    select(t.records_requests.c.id, t.records_requests.c.agency_id).where(
                        t.records_requests.c.id.in_([r["id"] for r in requests])
                    )
                ).all()
            )
        return [{**r, "agency_id": agency_of.get(r["id"])} for r in requests]

    def _campaign_items(
        self, campaign_id: str, today: date, say: Callable[[str], str] = feeds.same
    ) -> list[AlertItem]:
        campaign = self.campaign(campaign_id, today=today)
        requests = [
            {
                "id": r["id"],
                "agency": r["agency"],
                "state": r["state"],
                "law": r["law"],
                "status": r["status"],
            }
            | {"due": r["due"], "agency_id": r["agency_id"]}
            for r in campaign["requests"]
        ]
        items = feeds.request_items(requests, today, say)
        ids = [r["id"] for r in campaign["requests"]]
        with self.store.read() as connection:
            found = connection.execute(
                select(t.found_agreements).where(t.found_agreements.c.request_id.in_(ids))
            ).all()
        for row in found:
            created = row.created_at
            items.append(
                feeds.found_item(
                    {
                        "sha256": row.sha256,
                        "on": (created.date() if hasattr(created, "date") else today).isoformat(),
                        "state": row.state,
                        "agency_name": row.agency_name,
                        "agency_id": row.agency_id,
                        "kind": row.kind,
                        "review": row.review,
                        "request_id": row.request_id,
                    },
                    say,
                )
            )
        return items

    # ------------------------------------------------------------------ subscriptions

    def subscribe(
        self,
        email: str,
        words: feeds.Words,
        *,
        place: str | None = None,
        agency: str | None = None,
        campaign: str | None = None,
        today: date | None = None,
        language: str = "en",
    ) -> Subscription:
        """Follow a place, an agency or a campaign by e-mail, with digests in `language` (en or es). What
        is already known when it begins is its baseline (never sent); the next digests carry what happens
        after. Subscribing again to the same thing is the same subscription (in the language asked now)."""
        address = _email(email)
        if language not in DIGEST_LANGUAGES:
            raise InputError(f"digests are written in {' or '.join(DIGEST_LANGUAGES)}, not {language!r}")
        scope, scope_id, label = self.alert_scope(place=place, agency=agency, campaign=campaign)
        today = today or datetime.now(UTC).date()
        s = t.subscriptions
        with self.store.read() as connection:
            row = connection.execute(
                select(s).where(
                    s.c.email == address,
                    s.c.scope == scope.value,
                    s.c.scope_id == scope_id,
                    s.c.status == SubscriptionStatus.ACTIVE.value,
                )
            ).first()
        if row is not None:
            if (row.language or "en") != language:
                with self.store.transaction() as connection:
                    connection.execute(update(s).where(s.c.id == row.id).values(language=language))
                return replace(_subscription(row), language=language)
            return _subscription(row)
        baseline = self.alert_items(scope, scope_id, words, today=today)
        now = datetime.now(UTC)
        with self.store.transaction() as connection:
            result = connection.execute(
                insert(s).values(
                    email=address,
                    scope=scope.value,
                    scope_id=scope_id,
                    label=label,
                    status=SubscriptionStatus.ACTIVE.value,
                    created_at=now,
                    language=language,
                )
            )
            subscription_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            if baseline:
                connection.execute(
                    insert(t.alerts_sent),
                    [
                        {"subscription_id": subscription_id, "item": i.key, "baseline": True, "sent_at": now}
                        for i in {i.key: i for i in baseline}.values()
                    ],
                )
            row = connection.execute(select(s).where(s.c.id == subscription_id)).one()
        return _subscription(row)

    def unsubscribe(
        self,
        email: str,
        *,
        place: str | None = None,
        agency: str | None = None,
        campaign: str | None = None,
    ) -> list[Subscription]:
        """End an address's subscription to one thing, or (naming nothing) all of its subscriptions."""
        address = _email(email)
        s = t.subscriptions
        condition = and_(s.c.email == address, s.c.status == SubscriptionStatus.ACTIVE.value)
        if place or agency or campaign:
            scope, scope_id, _label = self.alert_scope(place=place, agency=agency, campaign=campaign)
            condition = and_(condition, s.c.scope == scope.value, s.c.scope_id == scope_id)
        with self.store.transaction() as connection:
            rows = connection.execute(select(s).where(condition)).all()
            if not rows:
                raise NotFoundError(
                    f"{address} follows nothing of that kind; see `disentangle subscriptions`"
                )
            connection.execute(
                update(s)
                .where(s.c.id.in_([r.id for r in rows]))
                .values(status=SubscriptionStatus.ENDED.value, ended_at=datetime.now(UTC))
            )
            ended = connection.execute(select(s).where(s.c.id.in_([r.id for r in rows]))).all()
        return [_subscription(r) for r in ended]

    def subscriptions(self, *, active_only: bool = True) -> list[Subscription]:
        s = t.subscriptions
        query = select(s).order_by(s.c.email, s.c.id)
        if active_only:
            query = query.where(s.c.status == SubscriptionStatus.ACTIVE.value)
        with self.store.read() as connection:
            return [_subscription(r) for r in connection.execute(query)]

    # ------------------------------------------------------------------ the watched folder

    @property
    def watch_folder(self) -> Path:
        """ICE sheets dropped here (or in the folder given to `alerts send --watch`) are imported first."""
        return self.home / WATCH_FOLDER

    def import_watched(self, folder: Path | None = None) -> tuple[list[SheetDiff], list[str]]:
        """Import every ICE workbook in the watched folder that the registry does not have yet, oldest
        capture first; a file that is not an ICE sheet is skipped with why (the others still import)."""
        folder = Path(folder) if folder else self.watch_folder
        if not folder.exists():
            return [], []
        if not folder.is_dir():
            raise InputError("the watched folder is not a folder", folder)
        with self.store.read() as connection:
            known = set(connection.scalars(select(t.sources.c.sha256)))
        imported: list[SheetDiff] = []
        skipped: list[str] = []
        for path in sorted(folder.glob("*.xlsx")):
            if path.name.startswith((".", "~$")) or _sha256(path) in known:
                continue
            try:
                diff = self.import_ice_sheet(path)
            except InputError as exc:
                skipped.append(f"{path.name}: {exc.problem}")
                continue
            if not diff.already_imported:
                imported.append(diff)
        return imported, skipped

    # ------------------------------------------------------------------ digests

    def pending_digests(
        self, words: feeds.Words | Callable[[str], feeds.Words], *, today: date
    ) -> list[tuple[Subscription, list[AlertItem]]]:
        """Each active subscription with the items it has not been sent yet (none: left out), worded in
        its language when `words` gives the words of a language."""
        out: list[tuple[Subscription, list[AlertItem]]] = []
        for subscription in self.subscriptions():
            said = words if isinstance(words, feeds.Words) else words(subscription.language)
            try:
                items = self.alert_items(subscription.scope, subscription.scope_id, said, today=today)
            except NotFoundError:
                continue  # the campaign or place left the registry: nothing to tell
            with self.store.read() as connection:
                sent = set(
                    connection.scalars(
                        select(t.alerts_sent.c.item).where(t.alerts_sent.c.subscription_id == subscription.id)
                    )
                )
            new = list({i.key: i for i in items if i.key not in sent}.values())
            if new:
                out.append((subscription, new))
        return out

    def send_alerts(
        self,
        words: feeds.Words | Callable[[str], feeds.Words],
        relay: SmtpRelay | None,
        *,
        sender: str,
        base: str,
        today: date | None = None,
        watch: Path | None = None,
    ) -> AlertRun:
        """Import what was dropped into the watched folder, then send each subscription one digest of what
        it has not had yet, and remember every item sent (a re-run sends nothing new). With no relay,
        nothing is sent or remembered: the run says what would go."""
        sender = _email(sender)
        today = today or datetime.now(UTC).date()
        run = AlertRun()
        run.imported, run.skipped = self.import_watched(watch)
        for subscription, items in self.pending_digests(words, today=today):
            say = (words if isinstance(words, feeds.Words) else words(subscription.language)).say
            sheets = [feeds.sheet_item(d.sha256, d.captured, len(d.events), say) for d in run.imported]
            if sheets and any(i.kind is AlertKind.LIST_CHANGE for i in items):
                items = items + sheets
            message = feeds.digest_message(subscription, items, sender=sender, base=base, say=say)
            entry = {
                "subscription": subscription.id,
                "email": subscription.email,
                "label": subscription.label,
                "items": [i.key for i in items],
                "message_id": None,
            }
            if relay is not None:
                (message_id,) = relay.send([message])
                self._remember(subscription.id, items, message_id)
                entry["message_id"] = message_id
            run.digests.append(entry)
        return run

    def _remember(self, subscription_id: int, items: Sequence[AlertItem], message_id: str) -> None:
        now = datetime.now(UTC)
        with self.store.transaction() as connection:
            already = set(
                connection.scalars(
                    select(t.alerts_sent.c.item).where(t.alerts_sent.c.subscription_id == subscription_id)
                )
            )
            rows = [
                {
                    "subscription_id": subscription_id,
                    "item": item.key,
                    "baseline": False,
                    "sent_at": now,
                    "message_id": message_id,
                }
                for item in {i.key: i for i in items}.values()
                if item.key not in already
            ]
            if rows:
                connection.execute(insert(t.alerts_sent), rows)


def _email(text: str) -> str:
    address = (text or "").strip()
    if not _EMAIL.match(address) or len(address) > 254:
        raise InputError(f"{address!r} is not an e-mail address")
    return address.lower()


def _subscription(row: Any) -> Subscription:
    created = row.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return Subscription(
        id=row.id,
        email=row.email,
        scope=AlertScope(row.scope),
        scope_id=row.scope_id,
        label=row.label,
        status=SubscriptionStatus(row.status),
        created_at=created,
        language=row.language or "en",
    )
