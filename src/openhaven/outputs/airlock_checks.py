"""The airlock's own checks on a request: recomputed controls and differencing.

Each item already carries the checks made when it was produced (a query output's disclosure
checks, a job file's file rules). On request — and again on resubmission and just before
release — the airlock adds two of its own, for every item that is a table:

* ``controls``: the table's record of controls, verified by recomputing it
  (``controls_verification``);
* ``differencing``: the table against every table the project has released and the other
  tables of the same request (``release_differencing``), with the cells concerned.

An item's verdict is the worst of its own checks and these. A differencing finding makes it
at least ``review``; ``fail`` when the haven's disclosure profile says
``differencing: {severity: fail}``. The profile is the haven's own file
``<home>/disclosure-profile.yaml`` when there is one, else the built-in ``haven`` profile;
the threshold is the haven's ``small_count_threshold``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.haven import Haven
from openhaven.outputs import repository as outputs
from openhaven.outputs.comparable_tables import ComparableTable
from openhaven.outputs.profiles import DisclosureProfile, load_profile
from openhaven.outputs.release_differencing import ReleaseRisk, find_release_risks

PROFILE_FILE = "disclosure-profile.yaml"
_ORDER = {"pass": 0, "review": 1, "fail": 2}


def airlock_profile(haven: Haven) -> DisclosureProfile:
    own = haven.home / PROFILE_FILE
    return load_profile(own if own.is_file() else "haven")


def worst(*verdicts: str | None) -> str:
    present = [v for v in verdicts if v in _ORDER]
    return max(present, key=_ORDER.__getitem__) if present else "pass"


def item_verdict(base: str, checks: Mapping[str, Any]) -> str:
    """The item's verdict: its own checks' verdict and the airlock's checks together."""
    extra = [checks.get(name, {}).get("result") for name in ("controls", "differencing")
             if isinstance(checks.get(name), dict)]
    return worst(base, *extra)


def released_label(name: str, request_id: int) -> str:
    return f"{name} (release {request_id})"


def released_tables(session: Session, project_id: int) -> list[ComparableTable]:
    """Every table the project has released, labelled by file and release."""
    return [ComparableTable.from_dict(released_label(item.name, item.request_id),
                                      table.definition)
            for table, item in outputs.release_tables(session, project_id=project_id,
                                                      released_only=True)]


def request_tables(session: Session, project_id: int, request_id: int) -> list[ComparableTable]:
    return [ComparableTable.from_dict(item.name, table.definition)
            for table, item in outputs.release_tables(session, project_id=project_id,
                                                      request_id=request_id)]


def differencing_results(new: Sequence[ComparableTable], released: Sequence[ComparableTable],
                         profile: DisclosureProfile, threshold: int) -> dict[str, dict[str, Any]]:
    """Each new table's ``differencing`` check result, by label."""
    protection = float(profile.suppression.get("protection_absolute", threshold))
    protection = max(protection, float(threshold))
    risks = {universe: find_release_risks(
        [t for t in new if t.universe == universe],
        [t for t in released if t.universe == universe],
        threshold=threshold, protection=protection) for universe in {t.universe for t in new}}
    results: dict[str, dict[str, Any]] = {}
    for table in new:
        mine = [r for r in risks[table.universe] if _concerns(r, table, new)]
        compared = [t.label for t in (*released, *new)
                    if t.universe == table.universe and t.label != table.label]
        results[table.label] = {
            "result": _result(mine, profile),
            "threshold": threshold,
            "severity": profile.differencing_severity,
            "compared_with": compared,
            "findings": [r.as_dict() for r in mine],
        }
    return results


def _concerns(risk: ReleaseRisk, table: ComparableTable,
              new: Sequence[ComparableTable]) -> bool:
    if table.label in risk.tables:
        return True
    # A hidden cell of a released table exposed by this request's tables together (or a
    # finding naming no table): every new table of the same universe shares it.
    return not risk.tables & {t.label for t in new}


def _result(risks: list[ReleaseRisk], profile: DisclosureProfile) -> str:
    if not risks:
        return "pass"
    if any(r.kind in ("difference", "linked-tables") for r in risks):
        return profile.differencing_severity
    return "review"
