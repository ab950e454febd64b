"""Checks for outputs that are not tables: summary statistics and regression models.

* **Order statistics on small groups.** A minimum, a maximum, a median or any exact
  percentile is one person's value (or the midpoint of two). Over a group smaller than the
  threshold it is flagged ``fail``; over a larger group a minimum or maximum is still one
  person's value, so it is flagged ``review``.
* **Regression residual degrees of freedom.** A model with n observations and p estimated
  parameters has n − p residual degrees of freedom; below the profile's
  ``safe_dof_threshold`` (10 by default, as ACRO) the fit says too much about individuals:
  ``fail``. Profiles may also cap the parameters at a share of the observations
  (``models: {max_parameter_ratio: 0.33}`` — DataSHIELD's nfilter.glm).

Jobs describe these outputs with ``helpers.save_statistics`` (``FORMAT``); the airlock
recomputes the degrees of freedom from n and p rather than reading a stated figure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from openhaven.core.errors import InvalidInput, Location
from openhaven.outputs.profiles import DisclosureProfile

FORMAT = "openhaven-statistics/1"
ORDER_STATISTICS = ("min", "max", "median")
_PERCENTILE = re.compile(r"^(p\d{1,2}(\.\d+)?|q\d|percentile.*|quantile.*)$", re.IGNORECASE)


def is_order_statistic(name: str) -> bool:
    return name.lower() in ORDER_STATISTICS or bool(_PERCENTILE.match(name))


def check_statistic(statistic: str, group_size: int, profile: DisclosureProfile, *,
                    threshold: int | None = None) -> dict[str, Any]:
    """One summary statistic over a group of ``group_size`` people."""
    threshold = profile.threshold if threshold is None else threshold
    if group_size < threshold:
        return {"statistic": statistic, "result": "fail",
                "reason": f"a statistic over fewer than {threshold} people"}
    if statistic.lower() in ("min", "max"):
        return {"statistic": statistic, "result": "review",
                "reason": "a minimum or maximum is one person's value"}
    return {"statistic": statistic, "result": "pass",
            "reason": f"over at least {threshold} people"}


def check_regression(n_observations: int, n_parameters: int,
                     profile: DisclosureProfile) -> dict[str, Any]:
    """A fitted model: residual degrees of freedom and the parameter share, recomputed."""
    if n_observations < 0 or n_parameters < 1:
        raise InvalidInput("A model needs observations and at least one parameter",
                           Location(field="n_parameters"))
    dof_check = profile.settings_for("degrees-of-freedom")
    threshold = int(profile.models.get(
        "safe_dof_threshold",
        dof_check.parameters.get("safe_dof_threshold", 10) if dof_check else 10))
    residual = n_observations - n_parameters
    reasons = []
    if residual < threshold:
        reasons.append(f"fewer than {threshold} residual degrees of freedom")
    ratio = profile.models.get("max_parameter_ratio")
    if ratio is not None and n_parameters > float(ratio) * n_observations:
        reasons.append(f"more parameters than {float(ratio):g} of the observations")
    return {"residual_degrees_of_freedom": residual, "threshold": threshold,
            "result": "fail" if reasons else "pass", "reasons": reasons}


def check_statistics_record(document: Mapping[str, Any], file: str,
                            profile: DisclosureProfile, *,
                            threshold: int | None = None) -> dict[str, Any]:
    """Every model and statistic of a ``save_statistics`` document, with positions."""
    smallest = profile.threshold if threshold is None else threshold
    def bad(field: str) -> InvalidInput:
        return InvalidInput(f"{file} is not a valid {FORMAT} document",
                            Location(file=file, field=field))

    findings: list[dict[str, Any]] = []
    models = document.get("models") or []
    statistics = document.get("statistics") or []
    if not isinstance(models, list) or not isinstance(statistics, list):
        raise bad("models")
    for index, model in enumerate(models):
        n, p = _whole(model, "n_observations"), _whole(model, "n_parameters")
        if n is None or p is None:
            raise bad(f"models[{index}]")
        result = check_regression(n, p, profile)
        if result["result"] != "pass":
            findings.append({"where": f"models[{index}]", **result})
    for index, item in enumerate(statistics):
        size = _whole(item, "n")
        name = item.get("statistic") if isinstance(item, dict) else None
        if size is None or not isinstance(name, str):
            raise bad(f"statistics[{index}]")
        if is_order_statistic(name) or size < smallest:
            result = check_statistic(name, size, profile, threshold=smallest)
            if result["result"] != "pass":
                findings.append({"where": f"statistics[{index}]", **result})
    verdicts = {f["result"] for f in findings}
    overall = "fail" if "fail" in verdicts else "review" if verdicts else "pass"
    return {"result": overall, "models": len(models), "statistics": len(statistics),
            "findings": findings}


def statistics_record(models: Sequence[Mapping[str, Any]] = (),
                      statistics: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    return {"format": FORMAT, "models": [dict(m) for m in models],
            "statistics": [dict(s) for s in statistics]}


def _whole(item: Any, key: str) -> int | None:
    value = item.get(key) if isinstance(item, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value
