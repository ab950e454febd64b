"""``openhaven outputs ...``: disclosure checks of tables, on any Parquet or CSV file.

The same table and checks a researcher's job gets through ``openhaven.outputs.helpers``.
The command prints cell values only with the checks beside them, for the researcher and
the output checker inside the haven; ``--controls`` adds the figures as the profile would
release them (failing cells and their complements hidden, rounding applied).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from openhaven.cli.context import JsonOption
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import InvalidInput, Location

outputs_app = typer.Typer(help="Outputs: disclosure checks before anything leaves the haven.",
                          no_args_is_help=True)


@outputs_app.command("crosstab")
def crosstab_command(
    data: Annotated[Path, typer.Argument(help="A Parquet or CSV file.")],
    rows: Annotated[str, typer.Option("--rows", help="Row variables, comma-separated.")],
    cols: Annotated[str, typer.Option("--cols", help="Column variables, comma-separated.")],
    values: Annotated[str | None, typer.Option(
        "--values", help="Numeric column for magnitude statistics.")] = None,
    agg: Annotated[str, typer.Option(
        "--agg", help="Statistics, comma-separated: count, mean, sum, median, std, min, max."
    )] = "count",
    profile: Annotated[str, typer.Option(
        "--profile", help="Disclosure profile: acro, opensafely, datashield, haven, or a "
        "profile YAML file.")] = "haven",
    controls: Annotated[bool, typer.Option(
        "--controls", help="Also show the table as the profile would release it.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Cross-tabulate DATA and check every cell (margins included) under a profile."""
    with reporting_errors(as_json=as_json):
        from openhaven.outputs.controls import apply_profile_controls
        from openhaven.outputs.helpers import crosstab

        checked = crosstab(data, _names(rows, "rows"), _names(cols, "cols"), values=values,
                           aggs=_names(agg, "agg"), profile=profile)
        body = checked.as_dict()
        if controls:
            body["released"] = apply_profile_controls(checked, _profile(profile)).as_dict()
        if as_json:
            emit_json(body)
            return
        _print(body)


def _names(text: str, option: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InvalidInput(f"--{option} needs at least one name", Location(field=option))
    return names


def _profile(name: str) -> Any:
    from openhaven.outputs.profiles import load_profile

    return load_profile(name)


def _print(body: dict[str, Any]) -> None:
    table = Table("row", "col", "agg", "value", "verdict", "flagged by",
                  title=f"{body['source']} — profile {body['profile']} — "
                        f"verdict: {body['verdict']}")
    for cell in body["cells"]:
        flagged = ", ".join(name for name, outcome in cell["checks"].items() if outcome == "fail")
        value = cell["value"]
        shown = "" if value is None else (
            f"{value:.4g}" if isinstance(value, float) else str(value))
        table.add_row(" / ".join(map(str, cell["row"])), " / ".join(map(str, cell["col"])),
                      cell["agg"], shown, cell["verdict"], flagged)
    console.print(table)
