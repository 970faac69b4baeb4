"""Costing: what an agreement costs and who pays, with the defaults and the agency's own size in costs/."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from disentangle import costs
from disentangle.errors import NotFoundError
from disentangle.registry import tables as t
from disentangle.sources.agencies import RosterAgency, read_fbi_roster
from disentangle.workspace._queries import QueryMixin

ROSTER_FILE = Path("287g-watch") / "fbi_lee_latest.csv"


class CostMixin(QueryMixin):
    def cost(self, regime: str, inputs: dict[str, Any], *, size: str = "medium") -> costs.CostEstimate:
        """The cost of one agreement under a reimbursement regime (knowledge/costs/regimes.yaml): the inputs
        given, and for every input left out the default of an agency of `size`, each stated as assumed."""
        values, assumptions = costs.default_inputs(size, **inputs)
        return costs.estimate(regime, values, assumptions)

    def cost_of_agreement(
        self, agreement_id: str, *, size: str | None = None, **changes: Any
    ) -> costs.CostEstimate:
        """An agreement's cost under the regime its kind and dates imply, for its agency's own size (its
        sworn officers in the FBI roster) unless `size` is given; `changes` are the user's own figures."""
        with self.store.read() as connection:
            row = connection.execute(select(t.agreements).where(t.agreements.c.id == agreement_id)).first()
            agency = (
                connection.execute(select(t.agencies).where(t.agencies.c.id == row.agency_id)).first()
                if row is not None
                else None
            )
        if row is None:
            raise NotFoundError(f"no agreement {agreement_id!r}; see `disentangle agreements`")
        # costs are estimated for the period the agreement is in force: now if active, else its last month
        period = (
            date.today()
            if row.status in ("active", "in-force")
            else (row.last_seen or row.signed or date.today())
        )
        regime = costs.regime_for(row.kind, period)
        sizing = None
        if size is not None:
            inputs, assumptions = costs.default_inputs(size, **changes)
        else:
            sworn, source = self.sworn_officers(agency.ori if agency is not None else None)
            inputs, assumptions = costs.agency_inputs(row.agency_name, sworn, source, **changes)
            if "officers" not in changes and "base_salary" not in changes:
                sizing = costs.agency_sizing(row.agency_name, sworn, source)
        assumptions.insert(0, f"regime {regime}: chosen from the agreement's kind ({row.kind}) and dates")
        return costs.estimate(regime, inputs, assumptions, sizing)

    def sworn_officers(self, ori: str | None) -> tuple[int | None, str]:
        """An agency's sworn officers as the FBI roster reports them (by ORI), and where that comes from."""
        if not ori:
            return None, "no ORI on file"
        entry = _roster(self.data_dir / ROSTER_FILE).get(ori.upper())
        if entry is None or entry.officers is None:
            return None, "not in the FBI roster"
        year = f", {entry.year}" if entry.year else ""
        return entry.officers, f"FBI law-enforcement employees roster{year}"


@cache
def _roster(path: Path) -> dict[str, RosterAgency]:
    return {entry.ori: entry for entry in read_fbi_roster(path)} if path.exists() else {}
