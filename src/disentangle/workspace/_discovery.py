"""Discovery: campaigns of records requests to every agency of a place, the agreements their documents
bring out (into the registry, after a person's confirmation where the reader is unsure), and the life of
any agreement as a locality acts on it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import delete, insert, or_, select

from disentangle import ingest, letters
from disentangle.errors import DisentangleError, InputError, NotFoundError
from disentangle.extract._found import LISTED_SURE, AgencyMatch, found_agreement, found_id
from disentangle.letters._campaigns import (
    CampaignLetter,
    LetterFile,
    bundle_zip,
    campaign_topic,
    check_bundle_format,
    letter_file,
    mail_merge_csv,
)
from disentangle.model import (
    AgencyOrigin,
    EventKind,
    FoundAgreement,
    FoundReview,
    Level,
)
from disentangle.registry import tables as t
from disentangle.sources.ice_history import agency_similarity
from disentangle.workspace._accounts import HoldingKind
from disentangle.workspace._acting import ActMixin, _keep_requests, _requester_json
from disentangle.workspace._base import escape_like
from disentangle.workspace._found import (
    FOUND_PREFIX,
    found_from_row,
    found_to_row,
    project_found,
)
from disentangle.workspace._library import LibraryMixin
from disentangle.workspace._rows import _iso

# Agencies a campaign writes to: law-enforcement agencies, not the detention facilities of ICE's list.
_CAMPAIGN_ORIGINS = (AgencyOrigin.ICE_LIST.value, AgencyOrigin.FBI_ROSTER.value)
# The name a document prints must be this close to the requested agency's to be taken as that agency.
SAME_AGENCY = 85.0
# A document's agency name against the registry's names of its state (rapidfuzz token-sort ratio): at
# SURE_NAME and SURE_MARGIN ahead of any other agency it is that agency ("Citrus County Sheriffs Office");
# from LOOSE_NAME it is offered to a person as a suggestion.
SURE_NAME = 95.0
SURE_MARGIN = 5.0
LOOSE_NAME = 80.0
# The actions a person records by hand (the others are recorded by the tool as it drafts letters).
RECORDABLE = (
    EventKind.CHALLENGED,
    EventKind.TERMINATION_SENT,
    EventKind.TERMINATED,
    EventKind.DECLARED_VOID,
    EventKind.EXPIRED,
    EventKind.SUPERSEDED,
)

# What sending each kind of letter does to the agreement it is about.
LETTER_SENT = {"terminate": EventKind.TERMINATION_SENT, "invalidity": EventKind.CHALLENGED}


class DiscoveryMixin(LibraryMixin, ActMixin):
    # ------------------------------------------------------------------ campaigns

    def campaign_agencies(self, scope: str) -> tuple[str, str | None, list[dict[str, Any]]]:
        """The law-enforcement agencies of a place (county, state, city) or of a file listing agencies
        (one id, ORI or name per line; '#' starts a comment): (title, place id, agencies)."""
        path = Path(scope)
        if path.suffix and path.is_file():
            return f"the agencies listed in {path.name}", None, self._listed_agencies(path)
        place = self._find_jurisdiction(scope)
        if place is None:
            raise NotFoundError(
                f'no place matches {scope!r}; give a county, city or state ("Los Angeles County, CA")'
            )
        g = t.agencies
        query = select(g).where(g.c.origin.in_(_CAMPAIGN_ORIGINS))
        if place["level"] == Level.STATE.value:
            query = query.where(g.c.state == place["state"])
        elif place["level"] == Level.COUNTY.value:
            ac = t.agency_counties  # the agencies counted in the county, by the one rule
            counted = select(ac.c.agency_id).where(ac.c.county_id == place["id"], ac.c.counted)
            query = query.where(g.c.id.in_(counted))
        else:
            query = query.where(g.c.jurisdiction_id == place["id"])
        with self.store.read() as connection:
            rows = [dict(r._mapping) for r in connection.execute(query.order_by(g.c.name, g.c.id))]
        return f"{place['name']}, {place['state']}", place["id"], _one_per_agency(rows)

    def _listed_agencies(self, path: Path) -> list[dict[str, Any]]:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the list of agencies: {exc}", path) from exc
        found, problems = [], []
        for number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                found.append(self._find_agency(text))
            except (InputError, NotFoundError) as exc:
                problems.append(f"line {number}: {exc}")
        if problems:
            raise InputError(
                "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""),
                path,
            )
        if not found:
            raise InputError("the list names no agency", path)
        return _one_per_agency(found)

    def _after_access_change(self, kind: HoldingKind, key: str) -> None:
        if kind is HoldingKind.DOCUMENT:  # a published document's agreement may now enter the registry
            with self.store.transaction() as connection:
                project_found(connection)

    def start_campaign(
        self,
        about: str,
        scope: str,
        requester: letters.Requester,
        *,
        today: date,
        since: date | None = None,
    ) -> dict[str, Any]:
        """Draft one request per agency of the scope under each agency's state law, kept together as a
        campaign (all of them or none)."""
        self.require_editor()
        topic = campaign_topic(about)
        title, scope_id, agencies = self.campaign_agencies(scope)
        if not agencies:
            raise InputError(f"{scope!r} has no law-enforcement agency in the registry to write to")
        drafted = [
            (
                agency,
                letters.draft_request(
                    self._addressee(agency),
                    letters.records_law(agency["state"]),
                    list(topic.topics),
                    requester,
                    today=today,
                    since=since,
                ),
            )
            for agency in agencies
        ]
        with self.store.transaction() as connection:
            numbers = [int(v[5:]) for v in connection.scalars(select(t.campaigns.c.id)) if v[5:].isdigit()]
            campaign_id = f"camp-{max(numbers, default=0) + 1:04d}"
            connection.execute(
                insert(t.campaigns).values(
                    id=campaign_id,
                    about=topic.id,
                    scope=scope,
                    scope_id=scope_id,
                    title=f"{topic.label}: {title}",
                    topics=list(topic.topics),
                    requester=_requester_json(requester),
                    created_on=today,
                    created_at=datetime.now(UTC),
                )
            )
            ids = _keep_requests(
                connection, drafted, list(topic.topics), (), requester, today, campaign_id=campaign_id
            )
        self.hold(HoldingKind.CAMPAIGN, campaign_id)
        for request_id in ids:
            self.hold(HoldingKind.REQUEST, request_id)
        self.audit("campaign.start", campaign_id, {"requests": len(ids), "scope": scope})
        return {
            "id": campaign_id,
            "title": f"{topic.label}: {title}",
            "about": topic.id,
            "requests": [
                {
                    "id": request_id,
                    "agency_id": agency["id"],
                    "agency": agency["name"],
                    "ori": agency.get("ori"),
                    "law": letter.citation,
                    "due": _iso(letter.due),
                }
                for request_id, (agency, letter) in zip(ids, drafted, strict=True)
            ],
        }

    def campaigns(self) -> list[dict[str, Any]]:
        c, r = t.campaigns, t.records_requests
        with self.store.read() as connection:
            rows = connection.execute(select(c).order_by(c.c.id)).all()
            seen = self.visible(HoldingKind.CAMPAIGN, [row.id for row in rows])
            rows = [row for row in rows if row.id in seen]
            counts: dict[str, int] = {}
            tagged = select(r.c.campaign_id).where(r.c.campaign_id.is_not(None))
            for campaign_id in connection.scalars(tagged):
                counts[campaign_id] = counts.get(campaign_id, 0) + 1
        return [
            {
                "id": row.id,
                "title": row.title,
                "about": row.about,
                "scope": row.scope,
                "created_on": _iso(row.created_on),
                "requests": counts.get(row.id, 0),
            }
            for row in rows
        ]

    def campaign(self, campaign_id: str, *, today: date) -> dict[str, Any]:
        """A campaign and each agency's request: status, due and overdue, replies, documents received and
        agreements found."""
        self.require_visible(HoldingKind.CAMPAIGN, campaign_id)
        c, r = t.campaigns, t.records_requests
        with self.store.read() as connection:
            row = connection.execute(select(c).where(c.c.id == campaign_id.strip())).first()
            if row is None:
                raise NotFoundError(f"no campaign {campaign_id!r}; see `disentangle campaign list`")
            request_rows = connection.execute(
                select(r.c.id, r.c.agency_id, r.c.agency_name, r.c.state)
                .where(r.c.campaign_id == row.id)
                .order_by(r.c.id)
            ).all()
            ids = [x.id for x in request_rows]
            documents = connection.execute(
                select(t.request_documents.c.request_id, t.request_documents.c.sha256).where(
                    t.request_documents.c.request_id.in_(ids)
                )
            ).all()
            found = connection.execute(
                select(t.found_agreements).where(t.found_agreements.c.request_id.in_(ids))
            ).all()
            events = connection.execute(
                select(t.request_events)
                .where(t.request_events.c.request_id.in_(ids))
                .order_by(t.request_events.c.id)
            ).all()
        requests = []
        for request in request_rows:
            tracked = self.tracked_request(request.id)
            due = tracked.due()
            requests.append(
                {
                    "id": request.id,
                    "agency_id": request.agency_id,
                    "agency": request.agency_name,
                    "state": request.state,
                    "law": tracked.law.citation,
                    "status": tracked.status.value,
                    "sent": _iso(tracked.sent_on),
                    "due": _iso(due),
                    "overdue_days": tracked.days_overdue(today),
                    "replies": [
                        {"status": e.status, "on": _iso(e.on), "note": e.note or ""}
                        for e in events
                        if e.request_id == request.id and e.status not in ("draft", "sent")
                    ],
                    "documents": [d.sha256 for d in documents if d.request_id == request.id],
                    "agreements_found": [
                        {
                            "agreement_id": f.agreement_id,
                            "kind": f.kind,
                            "review": f.review,
                            "listed": bool(f.listed),
                        }
                        for f in found
                        if f.request_id == request.id
                    ],
                }
            )
        statuses: dict[str, int] = {}
        for entry in requests:
            statuses[entry["status"]] = statuses.get(entry["status"], 0) + 1
        return {
            "id": row.id,
            "title": row.title,
            "about": row.about,
            "scope": row.scope,
            "scope_id": row.scope_id,
            "created_on": _iso(row.created_on),
            "summary": {
                "requests": len(requests),
                "by_status": statuses,
                "overdue": sum(1 for x in requests if x["overdue_days"] > 0),
                "documents": sum(len(x["documents"]) for x in requests),
                "agreements_found": sum(len(x["agreements_found"]) for x in requests),
            },
            "requests": requests,
        }

    def campaign_letters(self, campaign_id: str) -> list[CampaignLetter]:
        """The letters of a campaign as drafted (their text is kept with each request)."""
        self.require_visible(HoldingKind.CAMPAIGN, campaign_id)
        r, g = t.records_requests, t.agencies
        with self.store.read() as connection:
            if connection.scalar(select(t.campaigns.c.id).where(t.campaigns.c.id == campaign_id)) is None:
                raise NotFoundError(f"no campaign {campaign_id!r}; see `disentangle campaign list`")
            rows = connection.execute(
                select(r, g.c.ori)
                .select_from(r.outerjoin(g, g.c.id == r.c.agency_id))
                .where(r.c.campaign_id == campaign_id)
                .order_by(r.c.id)
            ).all()
        out = []
        for row in rows:
            tracked = self.tracked_request(row.id)
            law = tracked.law
            letter = letters.Letter(
                kind=letters.LetterKind.REQUEST,
                title=f"{law.label} request",
                agency=row.agency_name,
                state=row.state,
                date=row.created_at.date(),
                markdown=row.letter,
                citation=law.citation,
                due=tracked.due(),
            )
            out.append(
                CampaignLetter(row.id, row.agency_id or "", row.agency_name, row.state, row.ori, letter)
            )
        return out

    def campaign_bundle(
        self,
        campaign_id: str,
        fmt: str = "docx",
        *,
        executor: ingest.Executor | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> bytes:
        """Every letter of the campaign in one ZIP, with the mail-merge CSV. With a broker configured
        (or an `executor` given) each letter is rendered as a task on the workers, `progress` told
        (rendered, of) as they come back; else here, one after another."""
        check_bundle_format(fmt)
        drafted = self.campaign_letters(campaign_id)
        runner = executor if executor is not None else self.executor()
        if runner is None or fmt == "md" or not drafted:
            return bundle_zip(drafted, fmt)
        return bundle_zip(drafted, fmt, self._render_on_workers(runner, drafted, fmt, progress))

    def campaign_letter_files(
        self, campaign_id: str, fmt: str, executor: ingest.Executor
    ) -> list[LetterFile]:
        """Each letter of the campaign rendered by the executor's workers (what the bundle is made of)."""
        return self._render_on_workers(executor, self.campaign_letters(campaign_id), check_bundle_format(fmt))

    def _render_on_workers(
        self,
        runner: ingest.Executor,
        drafted: Sequence[CampaignLetter],
        fmt: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[LetterFile]:
        files: list[LetterFile] = []
        for outcome in runner.map_unordered(partial(letter_file, fmt), list(drafted)):
            if outcome.result is None:
                why = outcome.crash or "stopped before it was rendered"
                raise DisentangleError(
                    f"the letter to {outcome.item.agency} ({outcome.item.request_id}) "
                    f"could not be rendered: {why}"
                )
            files.append(outcome.result)
            if progress is not None:
                progress(len(files), len(drafted))
        return files

    def campaign_csv(self, campaign_id: str) -> str:
        return mail_merge_csv(self.campaign_letters(campaign_id))

    # ------------------------------------------------------------------ agreements found in documents

    def attach_to_request(
        self, request_id: str, paths: Sequence[Path], *, today: date
    ) -> list[dict[str, Any]]:
        """Ingest what an agency released, read each document, file it under the request; an agreement
        read from it is recorded as found in answer to the request (see `found_agreements`)."""
        self.tracked_request(request_id)  # the request must exist
        results: list[ingest.IngestResult] = []
        summary = self.ingest(list(paths), progress=results.append)
        attached = []
        for result in results:
            if result.error or result.sha256 is None:
                continue
            filename = result.filename or Path(result.path).name
            attached.append(self.file_under_request(request_id, result.sha256, filename, today=today))
        for path, reason in summary.failures:
            attached.append({"request_id": request_id, "filename": path, "error": reason})
        return attached

    def start_request_upload(self, request_id: str, files: Sequence[tuple[str, Path]]) -> dict[str, Any]:
        """An upload job of what an agency released in answer to a request (run with run_ingest_job):
        each file it stores is filed under the request, as `attach_to_request` does on the command line."""
        self.tracked_request(request_id)  # the request must exist
        return self.start_ingest_job(files, request_id=request_id)

    def file_under_request(
        self, request_id: str, sha256: str, filename: str, *, today: date
    ) -> dict[str, Any]:
        """File a stored document under the request that brought it out (once: a second time says so),
        and record an agreement read from it as found in answer to that request."""
        rd = t.request_documents
        with self.store.transaction() as connection:
            exists = connection.execute(
                select(rd.c.id).where(rd.c.request_id == request_id, rd.c.sha256 == sha256)
            ).first()
            record = {
                "request_id": request_id,
                "sha256": sha256,
                "filename": filename,
                "attached_on": today,
            }
            if exists is None:
                connection.execute(insert(rd).values(**record))
        reading = self.reading(sha256)
        found = self.record_found(reading, request_id=request_id)
        match = (reading.get("judgement") or {}).get("registry_match")
        with self.store.transaction() as connection:
            connection.execute(
                rd.update()
                .where(rd.c.request_id == request_id, rd.c.sha256 == sha256)
                .values(
                    kind=reading["kind"],
                    agreement_id=found.agreement_id if found else None,
                    confidence=match["confidence"] if match else None,
                )
            )
        return {
            **record,
            "attached_on": today.isoformat(),
            "already_attached": exists is not None,
            "kind": reading["kind"],
            "agreement_id": found.agreement_id if found else None,
            "review": found.review.value if found else None,
            "reasons": list(found.reasons) if found else [],
            "confidence": match["confidence"] if match else None,
        }

    def letter_agreement(self, kind: str, subject: str) -> str | None:
        """The registry agreement a drafted letter is about (its subject is an agreement id, or the sha256
        of a document an agreement was read from), or None when it is about no registry agreement."""
        if kind not in LETTER_SENT:
            return None
        if re.fullmatch(r"[0-9a-f]{64}", subject):
            try:
                return self.found(subject).agreement_id
            except DisentangleError:
                return None
        with self.store.read() as connection:
            row = connection.execute(select(t.agreements.c.id).where(t.agreements.c.id == subject)).first()
        return row.id if row is not None else None

    def record_letter_sent(self, kind: str, subject: str, letter: str, on: date) -> str:
        """Record that a drafted letter was sent on `on`, the letter's text as the event's evidence (a
        termination also records the end its clause gives). Returns the agreement's id."""
        agreement_id = self.letter_agreement(kind, subject)
        if agreement_id is None:
            raise InputError("this letter is about no agreement of the registry: nothing to record it on")
        self.record_action(agreement_id, LETTER_SENT[kind], on, evidence={"letter": kind}, letter=letter)
        return agreement_id

    def request_documents(self, request_id: str) -> list[dict[str, Any]]:
        """What an agency released in answer to a request: each document with the agreement read from it."""
        rd = t.request_documents
        with self.store.read() as connection:
            rows = connection.execute(
                select(rd).where(rd.c.request_id == request_id).order_by(rd.c.attached_on, rd.c.id)
            ).all()
        return [
            {
                "sha256": row.sha256,
                "filename": row.filename,
                "attached_on": _iso(row.attached_on),
                "kind": row.kind,
                "agreement_id": row.agreement_id,
            }
            for row in rows
        ]

    def _after_job_file(self, entry: dict[str, Any]) -> None:
        """A file of an upload job was stored: one sent in answer to a request is filed under it."""
        request_id, sha256 = entry.get("request_id"), entry.get("sha256")
        if request_id and sha256:
            filed = self.file_under_request(
                request_id, sha256, entry.get("name") or sha256, today=date.today()
            )
            entry["agreement_id"] = filed["agreement_id"]

    def _after_reading(self, reading: dict[str, Any], *, request_id: str | None = None) -> None:
        """Every stored reading: an agreement read from it is recorded as found (or updated)."""
        self.record_found(reading, request_id=request_id)

    def record_found(
        self, reading: dict[str, Any], *, request_id: str | None = None
    ) -> FoundAgreement | None:
        """Record what a document's reading says it is, tied to a registry agency; a document no reader
        would call an agreement is not recorded. A person's review of an earlier reading is kept."""
        extraction = reading["extraction"]
        sha256 = str(extraction["sha256"])
        f = t.found_agreements
        with self.store.read() as connection:
            earlier = connection.execute(select(f).where(f.c.sha256 == sha256)).first()
        request_id = request_id or (earlier.request_id if earlier is not None else None)
        if earlier is not None and earlier.review in (
            FoundReview.CONFIRMED.value,
            FoundReview.REJECTED.value,
        ):
            return found_from_row(earlier)  # a person decided: a new reading does not undo it
        listed = (reading.get("judgement") or {}).get("registry_match")
        if listed and str(listed.get("agreement_id", "")).startswith(FOUND_PREFIX):
            listed = None  # a copy of an agreement found earlier: found_id gives it the same id
        agency, problem = self._tie_agency(extraction, request_id)
        owner = None
        if listed and float(listed.get("confidence") or 0.0) >= LISTED_SURE:
            owner = self._agency_of_agreement(str(listed["agreement_id"]))
        if owner is not None and (agency is None or not agency.sure or agency.id == owner):
            # A copy of an agreement on ICE's lists binds the agency ICE lists it under.
            rule = f"the agreement on ICE's lists it is a copy of ({listed['agreement_id']})"  # type: ignore[index]
            agency, problem = _match(self._find_agency(owner), rule, True), None
        elif owner is not None and agency is not None:
            problem = (
                f"the document reads as a copy of {listed['agreement_id']} (ICE lists it under another "  # type: ignore[index]
                f"agency) but names {agency.name}"
            )
            agency = replace(agency, sure=False)
        found = found_agreement(
            extraction, agency=agency, agency_problem=problem, request_id=request_id, listed=listed
        )
        with self.store.transaction() as connection:
            connection.execute(delete(f).where(f.c.sha256 == sha256))
            if found is not None:
                connection.execute(insert(f).values(**found_to_row(found, created_at=datetime.now(UTC))))
            project_found(connection)
        return found

    def _tie_agency(
        self, extraction: dict[str, Any], request_id: str | None
    ) -> tuple[AgencyMatch | None, str | None]:
        """The registry agency a document binds: by the NCIC code it prints, else the agency its records
        request went to when the names agree, else its name in its state; loose matches are not sure."""
        shown = extraction.get("agency") or {}
        name, state, ori = shown.get("name"), shown.get("state"), shown.get("ori")
        if ori:
            try:
                record = self._find_agency(str(ori))
            except NotFoundError:
                record = None
            if record is not None and record.get("ori") == str(ori).upper():
                return _match(record, f"the NCIC code {ori} printed in the agreement", True), None
        requested = self._request_agency(request_id)
        if requested is not None:
            names = [requested["name"], *self._aliases(requested["id"])]
            if name is None:
                return (
                    _match(requested, f"the agency the records request {request_id} went to", False),
                    f"the document names no agency the reader could read; it answers request {request_id} to "
                    f"{requested['name']}",
                )
            score = max(agency_similarity(name, n) for n in names)
            if score >= SAME_AGENCY:
                return _match(
                    requested, f"the records request {request_id} went to it, and the document names it", True
                ), None
        if name and state:
            try:
                record = self._find_agency(f"{name}, {state}")
                return _match(
                    record, f"its name and state as the document prints them ({name}, {state})", True
                ), None
            except InputError as exc:
                return None, str(exc)
            except NotFoundError:
                pass
            loose = self._closest_agency(str(name), str(state))
            if loose is not None:
                record, score, runner_up = loose
                if score >= SURE_NAME and score - runner_up >= SURE_MARGIN:
                    rule = f"its name as the document prints it, {score:.0f}/100 to {record['name']}"
                    return _match(record, rule, True), None
                return (
                    _match(record, f"the closest name of {state}'s agencies ({score:.0f}/100)", False),
                    f"the document's agency {name!r} is not a name of the registry; the closest is "
                    f"{record['name']} ({score:.0f}/100)",
                )
        if requested is not None:
            return (
                None,
                f"the document names {name!r}, not {requested['name']}, to whom request {request_id} went",
            )
        if name and not state:
            return None, f"the document names {name!r} but shows no state"
        return None, "the document names no agency the reader could read"

    def _request_agency(self, request_id: str | None) -> dict[str, Any] | None:
        if not request_id:
            return None
        with self.store.read() as connection:
            agency_id = connection.scalar(
                select(t.records_requests.c.agency_id).where(t.records_requests.c.id == request_id)
            )
        if not agency_id:
            return None
        try:
            return self._find_agency(str(agency_id))
        except NotFoundError:
            return None

    def _aliases(self, agency_id: str) -> list[str]:
        with self.store.read() as connection:
            return list(
                connection.scalars(
                    select(t.agency_aliases.c.alias).where(t.agency_aliases.c.agency_id == agency_id)
                )
            )

    def _closest_agency(self, name: str, state: str) -> tuple[dict[str, Any], float, float] | None:
        """The agency of the state whose name or alias is closest to the document's, its score and the next
        agency's score; None below LOOSE_NAME."""
        g, al = t.agencies, t.agency_aliases
        with self.store.read() as connection:
            rows = connection.execute(
                select(g.c.id, g.c.name).where(g.c.state == state, g.c.origin.in_(_CAMPAIGN_ORIGINS))
            ).all()
            aliases = connection.execute(
                select(al.c.agency_id, al.c.alias).join(g, g.c.id == al.c.agency_id).where(g.c.state == state)
            ).all()
        names: dict[str, list[str]] = {r.id: [r.name] for r in rows}
        for agency_id, alias in aliases:
            names.setdefault(agency_id, []).append(alias)
        scored = sorted(
            (
                (max(fuzz.token_sort_ratio(name.lower(), n.lower()) for n in ns), agency_id)
                for agency_id, ns in names.items()
            ),
            reverse=True,
        )
        if not scored or scored[0][0] < LOOSE_NAME:
            return None
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        return self._find_agency(scored[0][1]), float(scored[0][0]), float(runner_up)

    def found_agreements(self, *, review: str | None = None) -> list[dict[str, Any]]:
        """Every agreement read from a document, with its review state and reasons."""
        f = t.found_agreements
        query = select(f).order_by(f.c.created_at)
        if review:
            query = query.where(f.c.review == FoundReview(review).value)
        with self.store.read() as connection:
            rows = connection.execute(query).all()
        seen = self.visible(HoldingKind.DOCUMENT, [row.sha256 for row in rows])
        return [_found_json(found_from_row(row), row) for row in rows if row.sha256 in seen]

    def found(self, key: str) -> FoundAgreement:
        """A found agreement by its document's sha256 (or a prefix of 8 or more) or its agreement id."""
        f = t.found_agreements
        needle = key.strip()
        with self.store.read() as connection:
            rows = (
                connection.execute(
                    select(f).where(
                        or_(
                            f.c.agreement_id == needle,
                            f.c.sha256.like(f"{escape_like(needle.lower())}%", escape="\\"),
                        )
                    )
                ).all()
                if len(needle) >= 8
                else []
            )
        if not rows:
            raise NotFoundError(
                f"no document read as an agreement matches {key!r}; see `disentangle found list`"
            )
        seen = self.visible(HoldingKind.DOCUMENT, [r.sha256 for r in rows])
        rows = [r for r in rows if r.sha256 in seen]
        if not rows:
            raise NotFoundError(
                f"no document read as an agreement matches {key!r}; see `disentangle found list`"
            )
        if len({r.sha256 for r in rows}) > 1 and not all(r.agreement_id == needle for r in rows):
            raise InputError(f"{key!r} matches several documents; give more of the sha256")
        return found_from_row(rows[0])

    def review_found(
        self, key: str, decision: str, *, agency: str | None = None, by: str = "a person"
    ) -> dict[str, Any]:
        """A person's decision on a found agreement: confirm it (optionally tying it to another agency)
        or reject it. Kept beside the machine's reading, which is never overwritten."""
        self.require_editor()
        found = self.found(key)
        if decision not in ("confirm", "reject"):
            raise InputError(f"unknown decision {decision!r}: confirm or reject")
        f = t.found_agreements
        values: dict[str, Any] = {
            "review": (FoundReview.CONFIRMED if decision == "confirm" else FoundReview.REJECTED).value,
            "reviewed_by": by,
            "reviewed_at": datetime.now(UTC),
        }
        if decision == "confirm":
            record = (
                self._find_agency(agency)
                if agency
                else (self._find_agency(found.agency_id) if found.agency_id else None)
            )
            if record is None:
                raise InputError(
                    "give the agency it binds (--agency NAME, id or ORI): the reader could not tell"
                )
            if not found.listed:
                match = _match(record, f"confirmed by {by}", True)
                values["agreement_id"] = found_id(match, {"sha256": found.sha256}, found.kind, found.signed)
            values.update(agency_id=record["id"], state=record["state"], ori=found.ori or record.get("ori"))
        with self.store.transaction() as connection:
            connection.execute(f.update().where(f.c.sha256 == found.sha256).values(**values))
            project_found(connection)
            row = connection.execute(select(f).where(f.c.sha256 == found.sha256)).one()
        self.audit(f"found.{decision}", found.sha256, {"agreement": row.agreement_id})
        return _found_json(found_from_row(row), row)


def _match(record: dict[str, Any], rule: str, sure: bool) -> AgencyMatch:
    return AgencyMatch(record["id"], record["name"], record["state"], record.get("ori"), rule, sure)


def _one_per_agency(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One letter per agency: records sharing an ORI (an agency ICE lists under two names) count once."""
    seen: set[str] = set()
    out = []
    for row in rows:
        key = row.get("ori") or row["id"]
        if key in seen:
            continue
        seen.add(key)
        out.append(row)
    return out


def _found_json(found: FoundAgreement, row: Any) -> dict[str, Any]:
    return {
        "sha256": found.sha256,
        "agreement_id": found.agreement_id,
        "listed": found.listed,
        "in_registry": found.in_registry,
        "kind": found.kind,
        "agency_id": found.agency_id,
        "agency_name": found.agency_name,
        "state": found.state,
        "ori": found.ori,
        "signed": _iso(found.signed),
        "review": found.review.value,
        "reasons": list(found.reasons),
        "request_id": found.request_id,
        "title": found.title,
        "agency_rule": found.agency_rule,
        "reviewed_by": row.reviewed_by,
        "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        "signatories": [
            {"side": s.side, "name": s.name, "title": s.title, "date": _iso(s.date), "date_note": s.date_note}
            for s in found.signatories
        ],
        "clauses": [c.to_json() for c in found.clauses],
    }
