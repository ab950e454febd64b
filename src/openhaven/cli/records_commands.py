"""``openhaven generate`` and ``openhaven ingest``: records into the haven."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from openhaven.cli.context import HomeOption, JsonOption, error_log, open_haven, resolve_home
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import InvalidInput


class OutputFormat(enum.StrEnum):
    parquet = "parquet"
    fhir_bundles = "fhir-bundles"
    fhir_ndjson = "fhir-ndjson"


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
        transient=True,
    )


def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the population to.")],
    patients: Annotated[int, typer.Option("--patients", min=1, help="How many patients.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same population.")] = 0,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="parquet, fhir-bundles or fhir-ndjson.")
    ] = OutputFormat.parquet,
    as_json: JsonOption = False,
) -> None:
    """Generate a synthetic England-like population (no real person in it)."""
    with reporting_errors(as_json=as_json):
        from openhaven.records.generator import generate_population, generate_to_parquet

        out.mkdir(parents=True, exist_ok=True)
        files: object
        with _progress() as progress:
            progress.add_task(f"Generating {patients:,} patients as {output_format.value}",
                              total=None)
            if output_format is OutputFormat.parquet:
                # Streamed block by block: a million patients in well under a gigabyte.
                rows = generate_to_parquet(patients, out, seed=seed)
                files = {name: str(out / f"{name}.parquet") for name in rows}
            else:
                population = generate_population(patients, seed=seed)
                rows = {name: table.num_rows for name, table in population.items()}
                if output_format is OutputFormat.fhir_bundles:
                    from openhaven.records.fhir.writer import write_bundles

                    files = write_bundles(population, out)
                else:
                    from openhaven.records.fhir.writer import write_ndjson

                    files = write_ndjson(population, out)
        if as_json:
            emit_json({"patients": patients, "seed": seed, "format": output_format.value,
                       "rows": rows, "out": str(out), "files": files})
        else:
            console.print(f"Wrote {patients:,} patients ({sum(rows.values()):,} rows) to {out}")


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest FHIR R4 (bundles, bulk NDJSON) or Parquet/CSV tables into the record store.

    Invalid input fails as a whole and leaves the store unchanged; valid records that
    break the haven's rules go to the quarantine report. Re-ingesting a file changes nothing.
    """
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise InvalidInput(f"No such file or folder: {', '.join(missing)}")
        from openhaven.records.ingest import ingest_paths

        haven = open_haven(home)
        with _progress() as progress:
            progress.add_task(f"Ingesting {len(paths)} path(s)", total=None)
            result = ingest_paths(haven, paths)
        if as_json:
            emit_json(result.as_dict())
        else:
            for kind, count in result.ingested.items():
                console.print(f"{kind:>20}: {count:,} ingested")
            for kind, count in result.quarantined.items():
                if count:
                    console.print(f"{kind:>20}: {count:,} quarantined")
            console.print(f"Report: {result.report}")
