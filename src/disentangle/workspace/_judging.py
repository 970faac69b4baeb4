"""Judging a place: the policy scorecard with its evidence, and the cost an agreement shifts locally."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from disentangle import assess, costs
from disentangle.errors import InputError, NotFoundError
from disentangle.model import (
    Agreement,
    Fact,
    Jurisdiction,
    Level,
    Source,
)
from disentangle.registry import tables as t
from disentangle.workspace._queries import QueryMixin
from disentangle.workspace._rows import (
    _agreement_model,
)


class JudgeMixin(QueryMixin):
    # ------------------------------------------------------------------ judge: scorecard, costs

    def assess(
        self,
        place: str,
        *,
        policy_files: Sequence[Path] = (),
        overrides: Sequence[dict[str, Any]] = (),
    ) -> assess.Scorecard:
        """The Local Progress scorecard for a jurisdiction, from registry facts, inherited state law
        and the policy texts given, each answer with its evidence."""
        shown = self.show(place)
        if shown["type"] != "jurisdiction":
            raise InputError(f"{place!r} is an agency; assess its jurisdiction (its county, city or state)")
        row = shown["jurisdiction"]
        jurisdiction = Jurisdiction(
            row["id"], row["name"], Level(row["level"]), row["state"], row["fips"], row["parent_id"]
        )
        registry_facts: list[Agreement | Fact] = [_agreement_model(a) for a in shown["agreements"]]
        registry_facts.extend(
            Fact(
                f["jurisdiction_id"],
                f["kind"],
                f["value"],
                date.fromisoformat(f["date"]) if f["date"] else None,
                Source(f["source"]["dataset"], f["source"]["file"], f["source"]["row"]),
            )
            for f in shown["facts"]
        )
        texts = [_policy_text(path) for path in policy_files]
        answers = assess.score_policy_texts(texts) if texts else []
        inherited = assess.inherited_law(jurisdiction.state, jurisdiction.level)
        return assess.build_scorecard(jurisdiction, registry_facts, inherited, answers, overrides)

    def cost(self, regime: str, inputs: dict[str, Any]) -> costs.CostEstimate:
        """The cost of one agreement under a reimbursement regime (knowledge/costs/regimes.yaml)."""
        return costs.estimate(regime, inputs)

    def cost_of_agreement(
        self, agreement_id: str, *, size: str = "medium", **changes: Any
    ) -> tuple[costs.CostEstimate, list[str]]:
        """Estimate an agreement's cost with the regime its kind and date imply and an agency-size default."""
        with self.store.read() as connection:
            row = connection.execute(select(t.agreements).where(t.agreements.c.id == agreement_id)).first()
        if row is None:
            raise NotFoundError(f"no agreement {agreement_id!r}; see `disentangle agreements`")
        # costs are estimated for the period the agreement is in force: now if active, else its last month
        period = date.today() if row.status == "active" else (row.last_seen or row.signed or date.today())
        regime = costs.regime_for(row.kind, period)
        inputs, assumptions = costs.default_inputs(size, **changes)
        assumptions.insert(0, f"regime {regime}: chosen from the agreement's kind ({row.kind}) and dates")
        return costs.estimate(regime, inputs), assumptions


def _policy_text(path: Path) -> assess.PolicyText:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the policy text: {exc.strerror}", path) from exc
    if not raw.strip():
        raise InputError("the policy text is empty", path)
    if b"\x00" in raw[:4096]:
        raise InputError(
            "not a text file (binary content); give the text of the policy (.txt, .md, .xml)", path
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return assess.PolicyText(name=path.name, text=text, source=str(path))
