"""The cost shifted to a locality, over the reimbursement regimes declared in knowledge/costs."""

from disentangle.costs._model import (
    CostEstimate,
    CostInputs,
    CostLine,
    SensitivityTable,
    break_even_overtime_share,
    default_inputs,
    estimate,
    sensitivity,
    with_overtime_share,
)
from disentangle.costs._regimes import (
    AgencySize,
    CostDefault,
    Regime,
    load_defaults,
    load_regimes,
    regime_for,
)

__all__ = [
    "AgencySize",
    "CostDefault",
    "CostEstimate",
    "CostInputs",
    "CostLine",
    "Regime",
    "SensitivityTable",
    "break_even_overtime_share",
    "default_inputs",
    "estimate",
    "load_defaults",
    "load_regimes",
    "regime_for",
    "sensitivity",
    "with_overtime_share",
]
