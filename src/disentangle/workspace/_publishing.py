"""What may be published from a workspace, and the list of everything a static site of it holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from disentangle.registry import tables as t
from disentangle.workspace._discovery import DiscoveryMixin
from disentangle.workspace._rows import _source_json


@dataclass(frozen=True, slots=True)
class SiteContents:
    """The registry's public records a static site writes a page for (each a plain row)."""

    within: dict[str, Any] | None  # the jurisdiction the site is limited to, or None for the nation
    jurisdictions: list[dict[str, Any]]  # id, name, level, state, fips
    agencies: list[dict[str, Any]]  # id, name, state, ori, type
    agreements: list[dict[str, Any]]  # id, agency_id, model, status, state
    documents: list[str] = field(default_factory=list)  # sha256 of the documents a person made public
    private_agreements: frozenset[str] = frozenset()  # found only in documents nobody made public


AGREEMENT_COLUMNS = (
    "id",
    "kind",
    "agency_id",
    "agency_name",
    "state",
    "signed",
    "status",
    "first_seen",
    "last_seen",
    "document_url",
    "county",
    "jurisdiction_id",
)


def _cited(source: Mapping[str, Any] | None) -> dict[str, Any]:
    source = source or {}
    return {"source": source.get("label"), "source_url": source.get("url"), "source_row": source.get("row")}


class PublishingMixin(DiscoveryMixin):
    def public_documents(self) -> list[str]:
        """The documents a person published, by sha256: only those with a reviewed, redacted copy (the
        one file of them that leaves), whatever else a database row may say."""
        r, p = t.document_readings, t.published_documents
        with self.store.read() as connection:
            return sorted(connection.scalars(select(r.c.sha256).join(p, p.c.sha256 == r.c.sha256).distinct()))

    def private_agreements(self) -> frozenset[str]:
        """Agreements found in records whose every document is private: a site leaves them out (the
        records request that brought them out, and the person's reading of them, are this workspace's)."""
        f, p = t.found_agreements, t.published_documents
        with self.store.read() as connection:
            rows = connection.execute(
                select(f.c.agreement_id, f.c.listed, p.c.sha256.label("published")).select_from(
                    f.outerjoin(p, p.c.sha256 == f.c.sha256)
                )
            ).all()
        public = {row.agreement_id for row in rows if row.published}
        # A copy of an agreement on ICE's lists (listed) is public through ICE's list, whatever its copy.
        return frozenset(
            row.agreement_id for row in rows if not row.listed and row.agreement_id not in public
        )

    def site_contents(self, within: str | None = None) -> SiteContents:
        """Every state, county and place with a record, agency and agreement a static site writes a page
        for; with `within` (a state or county), only those in it and the states above them.

        A place or township with no agency, agreement or fact on record gets no page of its own (it has
        nothing to show): its county's and state's pages and the search index name it."""
        j, g, a, ac, f = t.jurisdictions, t.agencies, t.agreements, t.agency_counties, t.facts
        place = self.show(within)["jurisdiction"] if within else None
        private = self.private_agreements()
        with self.store.read() as connection:
            places = [
                dict(row._mapping)
                for row in connection.execute(select(j.c.id, j.c.name, j.c.level, j.c.state, j.c.fips))
            ]
            agencies = [
                dict(row._mapping)
                for row in connection.execute(
                    select(g.c.id, g.c.name, g.c.state, g.c.ori, g.c.type, g.c.jurisdiction_id)
                )
            ]
            agreements = [
                dict(row._mapping)
                for row in connection.execute(
                    select(
                        a.c.id,
                        a.c.agency_id,
                        a.c.kind.label("model"),
                        a.c.status,
                        a.c.state,
                        a.c.jurisdiction_id,
                    )
                )
                if row.id not in private
            ]
            counted = connection.execute(select(ac.c.agency_id, ac.c.county_id).where(ac.c.counted)).all()
            with_facts = set(connection.scalars(select(f.c.jurisdiction_id).distinct()))
        recorded = (
            with_facts | {x["jurisdiction_id"] for x in agencies} | {x["jurisdiction_id"] for x in agreements}
        )
        if place is None:
            chosen_agencies = agencies
        elif place["level"] == "state":
            chosen_agencies = [x for x in agencies if x["state"] == place["state"]]
        elif place["level"] == "county":
            inside = {row.agency_id for row in counted if row.county_id == place["id"]}
            chosen_agencies = [
                x for x in agencies if x["id"] in inside or x["jurisdiction_id"] == place["id"]
            ]
        else:
            chosen_agencies = [x for x in agencies if x["jurisdiction_id"] == place["id"]]
        agency_ids = {x["id"] for x in chosen_agencies}
        chosen_agreements = [x for x in agreements if x["agency_id"] in agency_ids]
        if place is None:
            chosen_places = [x for x in places if x["level"] in ("state", "county") or x["id"] in recorded]
        else:
            wanted = {place["id"]} | {x["jurisdiction_id"] for x in chosen_agencies}
            wanted |= {f"ocd-division/country:us/state:{(place['state'] or '').lower()}"}
            if place["level"] == "state":
                wanted |= {x["id"] for x in places if x["state"] == place["state"] and x["level"] == "county"}
            chosen_places = [x for x in places if x["id"] in wanted and x["level"] != "nation"]
        chosen_places = [x for x in chosen_places if x["level"] != "nation"]
        return SiteContents(
            within=place,
            jurisdictions=chosen_places,
            agencies=chosen_agencies,
            agreements=chosen_agreements,
            documents=self.public_documents(),
            private_agreements=private,
        )

    def public_tables(self, contents: SiteContents) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
        """The site's downloads, each (columns, rows): its agreements, their events from public records,
        its agencies and places, and the national map's county rows. Nothing of the workspace's own."""
        a, e, src = t.agreements, t.events, t.sources
        agreement_ids = {x["id"] for x in contents.agreements}
        with self.store.read() as connection:
            agreement_rows = [
                {
                    **{k: row._mapping[k] for k in AGREEMENT_COLUMNS},
                    **_cited(
                        _source_json({"file": row.file, "retrieved": row.retrieved}, row=row.source_row)
                    ),
                }
                for row in connection.execute(
                    select(a, src.c.file, src.c.retrieved)
                    .outerjoin(src, src.c.id == a.c.source_id)
                    .order_by(a.c.state, a.c.agency_name, a.c.id)
                )
                if row.id in agreement_ids
            ]
            event_rows = [
                {
                    "agreement_id": row.agreement_id,
                    "kind": row.kind,
                    "date": row.date,
                    **_cited(
                        _source_json({"file": row.file, "retrieved": row.retrieved}, row=row.source_row)
                    ),
                }
                for row in connection.execute(
                    select(e.c.agreement_id, e.c.kind, e.c.date, e.c.source_row, src.c.file, src.c.retrieved)
                    .join(src, src.c.id == e.c.source_id)  # a public record's events only
                    .order_by(e.c.date, e.c.id)
                )
                if row.agreement_id in agreement_ids
            ]
        counties = self.county_map(exclude=contents.private_agreements)
        if contents.within is not None:
            state = contents.within["state"]
            counties = [c for c in counties if c["state"] == state]
            if contents.within["level"] == "county":
                counties = [c for c in counties if c["id"] == contents.within["id"]]
        tables = {
            "agreements": agreement_rows,
            "events": event_rows,
            "agencies": contents.agencies,
            "places": contents.jurisdictions,
            "counties": counties,
        }
        return {name: (list(rows[0]) if rows else [], rows) for name, rows in tables.items()}
