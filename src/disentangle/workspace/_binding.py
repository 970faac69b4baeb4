"""Who can bind each agency: the binding rules of the agency's jurisdiction, inherited down the tree."""

from __future__ import annotations

from typing import Any

from disentangle import assess
from disentangle.errors import NotFoundError
from disentangle.workspace._judging import JudgeMixin, _jurisdiction_info


class BindingMixin(JudgeMixin):
    def binding_authority(self, agency_or_place: str) -> assess.BindingAuthorities:
        """Who can bind an agency (id, ORI or name), or each agency with an agreement in a place: the
        government whose agreement it is, its body and signing officers, with the rule's public sources."""
        jurisdiction = self._find_jurisdiction(agency_or_place)
        if jurisdiction is None:
            try:
                agency = self._find_agency(agency_or_place)
            except NotFoundError:
                raise NotFoundError(
                    f"no jurisdiction or agency matches {agency_or_place!r}; try `disentangle search`"
                ) from None
            return assess.BindingAuthorities(agency_or_place, None, (self.agency_binding(agency),))
        shown = self._show_jurisdiction(jurisdiction)
        seen: dict[str, assess.BindingAuthority] = {}
        for agreement in shown["agreements"]:
            if agreement["agency_id"] not in seen:
                seen[agreement["agency_id"]] = self.agency_binding(self._find_agency(agreement["agency_id"]))
        return assess.BindingAuthorities(agency_or_place, jurisdiction["id"], tuple(seen.values()))

    def agency_binding(self, agency: dict[str, Any], *, kind: str | None = None) -> assess.BindingAuthority:
        """Who can bind one registry agency (a row of `agencies`), for agreements of `kind` if given."""
        row = self._find_jurisdiction(agency["jurisdiction_id"]) if agency.get("jurisdiction_id") else None
        if row is None:  # an agency of no single place (a state agency, a task force) answers to its state
            row = self._find_jurisdiction(f"ocd-division/country:us/state:{agency['state'].lower()}")
        place = (
            _jurisdiction_info(row)
            if row is not None
            else assess.JurisdictionInfo(name=agency["state"], state=agency["state"], level="state")
        )
        return assess.load_binding_rules().authority(
            agency["name"], agency.get("type"), place, kind=kind, agency_id=agency.get("id")
        )
