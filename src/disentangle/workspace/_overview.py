"""Overviews across every county: what the per-place judgements add up to, for the national map."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any

from disentangle.assess import Answer
from disentangle.publish._public import public_shown
from disentangle.workspace._judging import JudgeMixin


class OverviewMixin(JudgeMixin):
    def scorecard_map(self, *, exclude: Collection[str] = ()) -> dict[str, dict[str, Any]]:
        """Each county's checklist answers from what the registry and state law say (no local policy texts
        are known for most places): counts of met (Y), failed (N), partial (Other) and unknown criteria,
        by county FIPS. About 1.5 ms a county: a few seconds for the nation. `exclude`: agreements left
        out (a static site leaves out those found only in private documents)."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.county_map(exclude=exclude):
            fips = row.get("fips")
            if not fips:
                continue
            shown = self.show(str(fips))
            if exclude:
                shown = public_shown(shown, exclude, ())
            card = self.assess_shown(shown)
            checklist = [r for r in card.rows if r.criterion.kind == "checklist"]
            counts = Counter(r.answer for r in checklist)
            out[str(fips)] = {
                "met": counts[Answer.YES],
                "failed": counts[Answer.NO],
                "partial": counts[Answer.OTHER],
                "unknown": counts[Answer.UNKNOWN],
                "criteria": len(checklist),
                "failed_criteria": [r.criterion.label for r in checklist if r.answer == Answer.NO],
                "met_criteria": [r.criterion.label for r in checklist if r.answer == Answer.YES],
            }
        return out
