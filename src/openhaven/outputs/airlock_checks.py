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

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.haven import Haven
from openhaven.governance.models import Project
from openhaven.outputs import repository as outputs
from openhaven.outputs.airlock_models import ReleaseItem, ReleaseRequest
from openhaven.outputs.comparable_tables import (
    ComparableTable,
    comparable_table,
    is_table_record,
    read_table_record,
)
from openhaven.outputs.controls_verification import verify_controls
from openhaven.outputs.profiles import DisclosureProfile, load_profile
from openhaven.outputs.release_differencing import ReleaseRisk, find_release_risks
from openhaven.outputs.statistics_checks import FORMAT as STATISTICS_FORMAT
from openhaven.outputs.statistics_checks import check_statistics_record

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


# -- applied to a request's items -------------------------------------------------------

def table_of_file(path: Path, fields: dict[str, Any], threshold: int,
                   profile: DisclosureProfile) -> ComparableTable | None:
    """A job's table (``helpers.save_table``): verify its controls, keep its comparable form.

    A job's models and statistics (``helpers.save_statistics``) are checked here too.
    """
    if path.suffix.lower() != ".json" or fields["checks"].get("findings"):
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if isinstance(document, dict) and document.get("format") == STATISTICS_FORMAT:
        fields["checks"]["statistics"] = check_statistics_record(
            document, path.name, profile, threshold=threshold)
        fields["verdict"] = worst(fields["verdict"], fields["checks"]["statistics"]["result"])
        return None
    if not is_table_record(document):
        return None
    controlled, universe = read_table_record(document, path.name)
    fields["checks"]["controls"] = verify_controls(controlled, threshold=threshold)
    fields["verdict"] = item_verdict(fields["verdict"], fields["checks"])
    return comparable_table(controlled, label=path.name, universe=universe)


def add_differencing(session: Session, haven: Haven, project: Project,
                      tables: dict[str, tuple[dict[str, Any], ComparableTable]]) -> None:
    """Put each table's differencing result in its checks and fold it into its verdict."""
    if not tables:
        return
    results = differencing_results([t for _f, t in tables.values()],
                                   released_tables(session, project.id),
                                   airlock_profile(haven), haven.settings.small_count_threshold)
    for name, (fields, _table) in tables.items():
        fields["checks"] = {**fields["checks"], "differencing": results[name]}
        fields["verdict"] = item_verdict(fields["verdict"], fields["checks"])


def _base_verdict(session: Session, item: ReleaseItem) -> str:
    if item.output_id is not None:
        return str(outputs.get_output(session, item.output_id).verdict)
    checks = item.checks if isinstance(item.checks, dict) else {}
    return str(checks.get("verdict", item.verdict))


def reassess(session: Session, haven: Haven, project: Project,
              request: ReleaseRequest) -> list[str]:
    """Differencing again against what is released now; the items whose verdict worsened."""
    mine = request_tables(session, project.id, request.id)
    if not mine:
        return []
    results = differencing_results(mine, released_tables(session, project.id),
                                   airlock_profile(haven), haven.settings.small_count_threshold)
    worsened = []
    for item in request.items:
        if item.name not in results:
            continue
        checks = {**item.checks, "differencing": results[item.name]}
        verdict = item_verdict(_base_verdict(session, item), checks)
        if worst(verdict, item.verdict) != item.verdict:
            worsened.append(item.name)
        item.checks = checks
        item.verdict = verdict
    outputs.save_release_changes(session)
    return worsened
