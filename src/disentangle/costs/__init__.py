"""The cost shifted to a locality, over the reimbursement regimes declared in knowledge/costs."""

from disentangle.costs._model import (
    CostEstimate,
    CostInput,
    CostInputs,
    CostLine,
    SensitivityTable,
    agency_inputs,
    break_even_overtime_share,
    default_inputs,
    estimate,
    input_defaults,
    sensitivity,
    size_of,
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
    "CostInput",
    "CostInputs",
    "CostLine",
    "Regime",
    "SensitivityTable",
    "agency_inputs",
    "break_even_overtime_share",
    "default_inputs",
    "estimate",
    "input_defaults",
    "load_defaults",
    "load_regimes",
    "regime_for",
    "sensitivity",
    "size_of",
    "with_overtime_share",
]
