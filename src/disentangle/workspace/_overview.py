"""Overviews across every county: what the per-place judgements add up to, for the national map."""

from __future__ import annotations

from collections import Counter
from typing import Any

from disentangle.assess import Answer
from disentangle.workspace._judging import JudgeMixin


class OverviewMixin(JudgeMixin):
    def scorecard_map(self) -> dict[str, dict[str, Any]]:
        """Each county's checklist answers from what the registry and state law say (no local policy texts
        are known for most places): counts of met (Y), failed (N), partial (Other) and unknown criteria,
        by county FIPS. About 1.5 ms a county: a few seconds for the nation."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.county_map():
            fips = row.get("fips")
            if not fips:
                continue
            card = self.assess(str(fips))
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
