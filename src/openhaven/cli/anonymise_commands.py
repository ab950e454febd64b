"""``openhaven anonymise``: the standalone anonymiser for any delimited table.

Thin by design: it parses the options, calls ``openhaven.provisioning.deid.anonymise_file``,
writes the anonymised table (``--out``) and the risk report (``--risk-report``) and prints the
result. When a haven is in use (``--home`` or ``$OPENHAVEN_HOME``), the run is recorded in its
audit log with the settings and the outcome — never a data value.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from openhaven.cli.context import HomeOption, JsonOption, error_log, resolve_home
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import InvalidInput, Location


def anonymise(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="The delimited data file (first line: header).",
                                         show_default=False)],
    quasi: Annotated[str, typer.Option("--quasi", help="Quasi-identifiers, comma-separated.",
                                       show_default=False)],
    hierarchy: Annotated[list[str], typer.Option(
        "--hierarchy", help="ATTRIBUTE=FILE: a hierarchy file (value; level 1; level 2; ...).",
        show_default=False)],
    k: Annotated[int, typer.Option("--k", help="Every class holds at least k records.")] = 2,
    suppression: Annotated[float, typer.Option(
        "--suppression", help="Share of records that may be suppressed (0 to 1).")] = 0.0,
    metric: Annotated[str, typer.Option(
        "--metric", help="Information loss to minimise: loss, entropy or discernibility.")
    ] = "loss",
    sensitive: Annotated[str | None, typer.Option(
        "--sensitive", help="The sensitive attribute for l-diversity or t-closeness.")] = None,
    l_value: Annotated[float | None, typer.Option(
        "--l", help="l for l-diversity of the sensitive attribute.")] = None,
    l_model: Annotated[str, typer.Option(
        "--l-model", help="l-diversity variant: distinct or entropy.")] = "distinct",
    t_value: Annotated[float | None, typer.Option(
        "--t", help="t for t-closeness of the sensitive attribute.")] = None,
    t_distance: Annotated[str, typer.Option(
        "--t-distance", help="t-closeness distance: equal or ordered.")] = "equal",
    sep: Annotated[str, typer.Option("--sep", help="Field separator of data and hierarchies.")
                   ] = ";",
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the anonymised table here (same separator).")] = None,
    risk_report_path: Annotated[Path | None, typer.Option(
        "--risk-report", help="Write the risk report (JSON) here.")] = None,
    risk_threshold: Annotated[float, typer.Option(
        "--risk-threshold", help="Record risk counted as high above this.")] = 0.2,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find the generalisation with the least information loss that meets the privacy model."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.provisioning.deid import (
            PrivacySettings,
            anonymise_file,
            parse_hierarchy_options,
            write_table,
        )

        settings = PrivacySettings(
            quasi=tuple(name.strip() for name in quasi.split(",") if name.strip()),
            k=k, suppression=suppression, metric=metric, sensitive=sensitive, l=l_value,
            l_model=l_model, t=t_value, t_distance=t_distance, risk_threshold=risk_threshold,
        )
        files = parse_hierarchy_options(hierarchy)
        result = anonymise_file(data, files, settings, sep=sep)
        if out is not None:
            _refuse_overwriting_input(out, data)
            write_table(result.table, out, sep=sep)
        if risk_report_path is not None:
            _write_json(risk_report_path, result.risk.as_dict())
        _record_run(home, data, result.summary(), settings.describe())
        if as_json:
            emit_json(result.summary())
        else:
            levels = ", ".join(f"{name}={level}" for name, level in result.levels.items())
            console.print(f"Levels: {levels}", highlight=False)
            console.print(f"Suppressed {result.suppressed:,} records; {result.classes:,} "
                          f"classes; {settings.metric} {result.score:.6g}; evaluated "
                          f"{result.evaluated:,} of {result.lattice_size:,} transformations in "
                          f"{result.seconds:.2f} s.", highlight=False)
            console.print(result.risk.summary, highlight=False)


def _refuse_overwriting_input(out: Path, data: Path) -> None:
    if out.exists() and data.exists() and out.resolve() == data.resolve():
        raise InvalidInput("--out must not be the input file.", Location(field="--out"))


def _write_json(path: Path, body: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(body, handle, indent=2)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _record_run(home: Path | None, data: Path, summary: dict[str, object],
                settings: dict[str, object]) -> None:
    """Write the run to the haven's audit log, when the command runs inside a haven."""
    if home is None or not home.exists():
        return
    from openhaven.core.haven import Haven
    from openhaven.ledger import record_event

    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    record_event(
        Haven.open(home, create=False), "deid.anonymised", actor="cli",
        subject=f"sha256:{digest}",
        details={"settings": settings, "levels": summary["levels"],
                 "suppressed": summary["suppressed"], "classes": summary["classes"],
                 "score": summary["score"]},
    )
