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

from openhaven.cli.context import HomeOption, JsonOption, haven_command
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


@outputs_app.command("cell-key")
def cell_key_command(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="A Parquet or CSV file inside the haven.")],
    row: Annotated[str, typer.Option("--row", help="The row variable.")],
    col: Annotated[str, typer.Option("--col", help="The column variable.")],
    id_column: Annotated[str, typer.Option(
        "--id-column", help="Each record's permanent key (the pseudonym).")] = "pseudonym",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Count ROW × COL with the cell key method under the haven's own secret.

    The same records always get the same noise in this haven (so a table asked for twice,
    or a near-copy of it, gives nothing away by differencing), and nobody without the
    haven's master key can reproduce it.
    """
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.outputs.helpers import cell_key_table

        body = cell_key_table(data, row, col, id_column=id_column, haven=haven)
        if as_json:
            emit_json(body)
            return
        table = Table(row, *map(str, body["cols"]),
                      title=f"{data.name} — cell key method (perturbed counts)")
        for label, counts in zip(body["rows"], body["counts"], strict=True):
            table.add_row(str(label), *map(str, counts))
        console.print(table)


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
