"""Built-in per-cell disclosure checks, one per module; importing this registers them."""

from openhaven.outputs.checks import (
    all_values_same,
    degrees_of_freedom,
    missing_values,
    negative_values,
    nk_rule,
    p_ratio,
    threshold,
)

__all__ = ["all_values_same", "degrees_of_freedom", "missing_values", "negative_values",
           "nk_rule", "p_ratio", "threshold"]
