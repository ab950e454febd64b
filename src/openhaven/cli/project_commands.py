"""``openhaven project ...`` and ``openhaven query ...``: projects and their checked results.

``query run --as EMAIL`` acts as that registered person, who must be allowed the project's
data now (on its team, accredited, under an agreement in force); the ledger records their
reference, never their email.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from openhaven.cli.context import (
    HomeOption,
    JsonOption,
    acting_person,
    error_log,
    governance_session,
    haven_command,
    open_haven,
    resolve_home,
)
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import InvalidInput, Location

ActingResearcher = Annotated[str | None, typer.Option(
    "--as", help="Email of the researcher acting (checked against the project's team and "
    "their accreditation).")]

project_app = typer.Typer(help="Projects: approved uses of the haven's data.", no_args_is_help=True)
query_app = typer.Typer(help="Declarative aggregate queries, checked before release.",
                        no_args_is_help=True)
extract_app = typer.Typer(help="Project extracts: provisioned, de-identified data.",
                          no_args_is_help=True)


@project_app.command("list")
def list_projects(ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List every project with its reference and status."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance import service as governance

        with governance_session(haven) as session:
            projects = [governance.project_summary(p) for p in governance.list_projects(session)]
        if as_json:
            emit_json({"projects": projects})
            return
        table = Table("Reference", "Status", "Title", "Organisation")
        for project in projects:
            table.add_row(project["reference"], project["status"], project["title"],
                          str(project.get("organisation") or ""))
        console.print(table)


@project_app.command("show")
def show_project(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference, e.g. OH-2026-0001.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one project."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance import service as governance

        with governance_session(haven) as session:
            summary = governance.project_summary(governance.get_project(session, reference))
        if as_json:
            emit_json(summary)
        else:
            for key, value in summary.items():
                console.print(f"{key:>16}: {value}", highlight=False)


@extract_app.command("provision")
def provision(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Provision the next version of an approved project's extract (custodian)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.provisioning.service import provision_extract

        with governance_session(haven) as session:
            report = provision_extract(session, haven, reference, actor="custodian")
        if as_json:
            emit_json(report.as_dict())
        else:
            console.print(
                f"Extract v{report.version} for {reference}: {report.patient_count:,} patients, "
                f"{report.removed_by_choices:,} removed by patient choices"
            )


@query_app.command("run")
def run_query(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference.")],
    query_file: Annotated[Path, typer.Argument(help="Query file (YAML or JSON).")],
    home: HomeOption = None,
    acting_as: ActingResearcher = None,
    as_json: JsonOption = False,
) -> None:
    """Run a query on the project's extract; only the checked table comes back."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.analysis.query_spec import AggregateQuery
        from openhaven.outputs.service import run_checked_query

        raw = _read_query(query_file)
        if not isinstance(raw, dict):
            raise InvalidInput("A query file must hold a mapping", Location(file=query_file.name))
        query = AggregateQuery.from_dict(raw, source=query_file.name)
        haven = open_haven(home)
        with governance_session(haven) as session:
            person = None if acting_as is None else acting_person(session, acting_as)
            result = run_checked_query(
                session, haven, reference, query,
                actor="researcher" if person is None else person.reference, person=person,
            )
        if as_json:
            emit_json(result)
            return
        table = Table(*result["columns"], title=f"{query.name} — verdict: {result['verdict']}")
        for row in result["rows"]:
            table.add_row(*("suppressed" if v is None else str(v) for v in row))
        console.print(table)



def _read_query(path: Path) -> object:
    if not path.is_file():
        raise InvalidInput("No such query file", Location(file=str(path)))
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InvalidInput("The query file is not valid YAML/JSON",
                           Location(file=path.name, line=line)) from None
    except UnicodeDecodeError:
        raise InvalidInput("The query file is not UTF-8 text", Location(file=path.name)) from None
