"""The registry's invariants, checked after every import and by `disentangle qa`: pass, fail or info rows.

A fail row means the registry says something its sources do not (a sheet not reproduced row for row, an
agreement in force that no county or declared scope holds, a fact cited by no public source); CI fails
on it. Info rows count what a reader should know: where ICE's county was overruled and why, which hand
corrections still apply and which went inert because ICE corrected its sheet.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, and_, func, select

from disentangle.model import AgreementStatus, CountyRule, CountyScope, QACheck, QAStatus
from disentangle.registry import tables as t
from disentangle.sources import counties
from disentangle.sources.citations import cite
from disentangle.workspace._base import WorkspaceBase

EXAMPLES = 12  # examples kept on a row


class QAMixin(WorkspaceBase):
    def qa(self) -> list[QACheck]:
        """Every invariant of the registry, in a fixed order (docs/registry.md lists them)."""
        with self.store.read() as connection:
            return [
                _sheets_reproduced(connection),
                _latest_list_is_active(connection),
                _agreements_have_agencies(connection),
                _in_force_placed(connection),
                _facilities_placed(connection),
                _sources_cited(connection),
                _placements_by_rule(connection),
                _county_disagreements(connection),
                *_corrections(connection),
                _history_begins(connection),
                _early_records(connection),
            ]


def _check(id_: str, failures: list[str], ok: str, bad: str, count: int | None = None) -> QACheck:
    if failures:
        return QACheck(id_, QAStatus.FAIL, bad, len(failures), tuple(failures[:EXAMPLES]))
    return QACheck(id_, QAStatus.PASS, ok, count if count is not None else 0)


def _sheets_reproduced(connection: Connection) -> QACheck:
    """Every row of every ICE sheet is kept, and each row of a participating list is one agreement."""
    s, r = t.snapshots, t.snapshot_rows
    kept: dict[int, int] = dict(
        connection.execute(select(r.c.snapshot_id, func.count()).group_by(r.c.snapshot_id)).all()
    )
    failures: list[str] = []
    # A pending list's rows are requests, kept as pending requests; a participating list's rows are kept
    # one for one.
    sheets = connection.execute(
        select(s.c.id, s.c.list, s.c.captured, s.c.rows).where(s.c.list == "participating")
    ).all()
    for sheet in sheets:
        if kept.get(sheet.id, 0) != sheet.rows:
            failures.append(f"list of {sheet.captured}: {sheet.rows} rows, {kept.get(sheet.id, 0)} kept")
    twice = connection.execute(
        select(s.c.captured, r.c.agreement_id, func.count().label("n"))
        .join(s, s.c.id == r.c.snapshot_id)
        .where(s.c.list == "participating")
        .group_by(s.c.captured, r.c.agreement_id)
        .having(func.count() > 1)
    ).all()
    failures += [f"list of {row.captured}: agreement {row.agreement_id} on {row.n} rows" for row in twice]
    orphans = connection.scalar(
        select(func.count())
        .select_from(r.join(s, s.c.id == r.c.snapshot_id))
        .where(s.c.list == "participating", r.c.agreement_id.is_(None))
    )
    if orphans:
        failures.append(f"{orphans} rows of participating lists are no agreement")
    rows = sum(sheet.rows for sheet in sheets)
    return _check(
        "sheets-reproduced",
        failures,
        f"all {len(sheets)} participating lists of ICE kept row for row ({rows:,} rows), each row one "
        "agreement, none twice",
        "an ICE sheet is not reproduced row for row",
        len(sheets),
    )


def _latest_list_is_active(connection: Connection) -> QACheck:
    """The agreements in force on ICE's latest list are exactly the registry's active ones."""
    s, r, a = t.snapshots, t.snapshot_rows, t.agreements
    latest = connection.execute(
        select(s.c.id, s.c.captured)
        .where(s.c.list == "participating")
        .order_by(s.c.captured.desc(), s.c.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return QACheck("latest-list-active", QAStatus.INFO, "no ICE list in the registry yet")
    listed = set(connection.scalars(select(r.c.agreement_id).where(r.c.snapshot_id == latest.id)))
    active = set(connection.scalars(select(a.c.id).where(a.c.status == AgreementStatus.ACTIVE.value)))
    failures = [f"{i}: active, not on the list of {latest.captured}" for i in sorted(active - listed)]
    failures += [f"{i}: on the list of {latest.captured}, not active" for i in sorted(listed - active)]
    return _check(
        "latest-list-active",
        failures,
        f"the {len(active):,} active agreements are the rows of ICE's list of {latest.captured}",
        "active agreements and ICE's latest list differ",
        len(active),
    )


def _agreements_have_agencies(connection: Connection) -> QACheck:
    a, g = t.agreements, t.agencies
    missing = connection.execute(
        select(a.c.id, a.c.agency_id).outerjoin(g, g.c.id == a.c.agency_id).where(g.c.id.is_(None))
    ).all()
    total = connection.scalar(select(func.count()).select_from(a)) or 0
    return _check(
        "agreements-have-agencies",
        [f"{row.id}: no agency {row.agency_id}" for row in missing],
        f"every one of the {total:,} agreements belongs to an agency of the registry",
        "an agreement's agency is missing",
        total,
    )


def _in_force_placed(connection: Connection) -> QACheck:
    """Every agreement in force is counted in a county, or has a declared statewide or multi-county scope."""
    a, ac = t.agreements, t.agency_counties
    rows = connection.execute(
        select(a.c.id, a.c.agency_name, a.c.state, ac.c.scope)
        .outerjoin(ac, and_(ac.c.agency_id == a.c.agency_id, ac.c.counted))
        .where(a.c.status.in_([AgreementStatus.ACTIVE.value, AgreementStatus.IN_FORCE.value]))
    ).all()
    scopes: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for row in rows:
        scopes.setdefault(row.id, set()).add(row.scope or CountyScope.NONE.value)
        names[row.id] = f"{row.agency_name} ({row.state})"
    nowhere = {CountyScope.NONE.value}
    failures = sorted(f"{names[i]}: placed nowhere ({i})" for i, found in scopes.items() if found <= nowhere)
    by_scope = Counter(next(iter(found)) for found in scopes.values())
    detail = ", ".join(f"{n:,} {scope}" for scope, n in sorted(by_scope.items()))
    return _check(
        "in-force-placed",
        failures,
        f"all {len(scopes):,} agreements in force are placed: {detail}",
        "an agreement in force is in no county and has no declared scope",
        len(scopes),
    )


def _facilities_placed(connection: Connection) -> QACheck:
    g, ac = t.agencies, t.agency_counties
    rows = connection.execute(
        select(g.c.id, g.c.name, g.c.state, ac.c.scope)
        .join(ac, and_(ac.c.agency_id == g.c.id, ac.c.counted))
        .where(g.c.origin == "facility-list")
    ).all()
    failures = sorted(f"{r.name} ({r.state})" for r in rows if r.scope == CountyScope.NONE.value)
    return _check(
        "facilities-placed",
        failures,
        f"all {len({r.id for r in rows}):,} facilities of ICE's detention list are placed in a county (or in "
        "a district or territory without counties)",
        "a facility of ICE's detention list is placed nowhere",
        len({r.id for r in rows}),
    )


def _sources_cited(connection: Connection) -> QACheck:
    """Every file a fact is read from is cited as a public record, never by its path."""
    src = t.sources
    files = connection.execute(select(src.c.file, src.c.retrieved)).all()
    failures = sorted(f.file for f in files if cite(f.file, None, f.retrieved) is None)
    return _check(
        "sources-cited",
        failures,
        f"all {len(files)} files read are cited as public records (publisher, address, date)",
        "a file is cited by no public record (knowledge/datasets.yaml)",
        len(files),
    )


def _placements_by_rule(connection: Connection) -> QACheck:
    """How agreements in force were placed, rule by rule: the counts docs/registry.md prints."""
    a, ac = t.agreements, t.agency_counties
    rows = connection.execute(
        select(a.c.id, ac.c.rule, ac.c.scope)
        .join(ac, and_(ac.c.agency_id == a.c.agency_id, ac.c.counted))
        .where(a.c.status.in_([AgreementStatus.ACTIVE.value, AgreementStatus.IN_FORCE.value]))
    ).all()
    rule_of = {row.id: (row.rule, row.scope) for row in rows}
    counts = Counter(rule for rule, _ in rule_of.values())
    order = [rule.value for rule in CountyRule]
    examples = tuple(f"{rule}: {counts[rule]}" for rule in order if counts.get(rule))
    return QACheck(
        "in-force-by-rule",
        QAStatus.INFO,
        f"agreements in force by the rule that placed them ({len(rule_of):,})",
        len(rule_of),
        examples,
    )


def _county_disagreements(connection: Connection) -> QACheck:
    """Where ICE printed a county the rule overruled: both, with their sources."""
    ac, g, j = t.agency_counties, t.agencies, t.jurisdictions
    overruled = connection.execute(
        select(ac.c.agency_id, ac.c.printed, ac.c.source, g.c.name, g.c.state, g.c.origin)
        .join(g, g.c.id == ac.c.agency_id)
        .where(ac.c.counted.is_(False))
        .order_by(g.c.origin.desc(), g.c.state, g.c.name)
    ).all()
    chosen: dict[str, list[Any]] = {}
    if overruled:
        for pick in connection.execute(
            select(ac.c.agency_id, ac.c.rule, ac.c.scope, ac.c.source, j.c.name)
            .outerjoin(j, j.c.id == ac.c.county_id)
            .where(ac.c.counted, ac.c.agency_id.in_([r.agency_id for r in overruled]))
        ):
            chosen.setdefault(pick.agency_id, []).append(pick)
    examples = []
    for row in overruled:
        picks = chosen.get(row.agency_id, [])
        names = sorted(p.name for p in picks if p.name)
        scope = picks[0].scope if picks else "none"
        where = (
            f"counted in {', '.join(names)}"
            if names
            else ("statewide" if scope == "statewide" else "nowhere")
        )
        rule = picks[0].rule if picks else "none"
        printed_from = (row.source or {}).get("label", "no source")
        examples.append(
            f"{row.name} ({row.state}): printed “{row.printed}” ({printed_from}); {where} ({rule})"
        )
    by_origin = Counter(row.origin for row in overruled)
    detail = ", ".join(f"{n} {origin}" for origin, n in sorted(by_origin.items()))
    return QACheck(
        "county-disagreements",
        QAStatus.INFO,
        f"{len(overruled)} agencies whose printed county the rule overruled ({detail or 'none'}), "
        "each shown with both sources on its page",
        len(overruled),
        tuple(examples),
    )


def _corrections(connection: Connection) -> list[QACheck]:
    """Hand corrections that still apply, and those ICE's own fix made inert."""
    corrections, _ = counties.knowledge()
    ac = t.agency_counties
    applied = set(connection.scalars(select(ac.c.correction).where(ac.c.correction.is_not(None)).distinct()))
    live = [c for c in corrections if c.id in applied]
    inert = [c for c in corrections if c.id not in applied]
    return [
        QACheck(
            "corrections-applied",
            QAStatus.INFO,
            f"{len(live)} hand corrections of a county ICE printed still apply",
            len(live),
            tuple(f"{c.id} → {c.county}" for c in live[:EXAMPLES]),
        ),
        QACheck(
            "corrections-inert",
            QAStatus.INFO,
            f"{len(inert)} hand corrections are inert: the value they correct is no longer printed",
            len(inert),
            tuple(f"{c.id} → {c.county}" for c in inert[:EXAMPLES]),
        ),
    ]


def _history_begins(connection: Connection) -> QACheck:
    """Where the bundled history begins, and how many agreements are older than it."""
    s, a = t.snapshots, t.agreements
    first = connection.scalar(select(func.min(s.c.captured)).where(s.c.list == "participating"))
    older = (
        connection.scalar(
            select(func.count()).select_from(a).where(a.c.signed < first, a.c.first_seen >= first)
        )
        if first
        else 0
    )
    return QACheck(
        "history-begins",
        QAStatus.INFO,
        f"ICE's lists in the registry begin with the list of {first}; {older:,} agreements on them were "
        "signed before it (their 'added' date is that first list, not their signing)",
        older or 0,
    )


def _early_records(connection: Connection) -> QACheck:
    """The records older than ICE's lists: agreements they alone know, events they add to listed ones."""
    a, e, src = t.agreements, t.events, t.sources
    own = connection.scalar(
        select(func.count()).select_from(a).where(a.c.status == AgreementStatus.HISTORICAL.value)
    )
    added = connection.execute(
        select(e.c.kind, func.count())
        .join(src, src.c.id == e.c.source_id)
        .where(src.c.dataset == "historical-287g")
        .group_by(e.c.kind)
    ).all()
    detail = tuple(f"{kind}: {n}" for kind, n in sorted(added))
    return QACheck(
        "early-records",
        QAStatus.INFO,
        f"{own or 0} agreements known only from 287(g) records of 2007–2009 and ICE's archive, and "
        f"{sum(n for _, n in added)} dated events those records add",
        own or 0,
        detail,
    )
