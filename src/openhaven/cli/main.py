"""The ``openhaven`` command: one Typer app assembling each area's commands."""

from __future__ import annotations

import typer

from openhaven import __version__
from openhaven.cli.analysis_commands import dummy, job_app
from openhaven.cli.anonymise_commands import anonymise
from openhaven.cli.choices_commands import choices_app
from openhaven.cli.context import GlobalHomeOption
from openhaven.cli.governance_commands import people_app, policy_app, request_app
from openhaven.cli.haven_commands import demo, init, serve
from openhaven.cli.identity_commands import account_app, token_app
from openhaven.cli.ledger_commands import ledger_app
from openhaven.cli.outputs_commands import outputs_app
from openhaven.cli.project_commands import extract_app, project_app, query_app
from openhaven.cli.provisioning_commands import reidentify, rotate_key
from openhaven.cli.records_commands import generate, ingest
from openhaven.cli.release_commands import release_app
from openhaven.cli.text_commands import text_app
from openhaven.cli.transparency_commands import register_app, transparency_app
from openhaven.cli.worker_commands import worker

app = typer.Typer(
    name="openhaven",
    help="OpenHaven: a trusted research environment for patient records.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"openhaven {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    home: GlobalHomeOption = None,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """OpenHaven: a trusted research environment for patient records."""
    ctx.obj = {"home": home}


app.command()(init)
app.command()(demo)
app.command()(serve)
app.command()(generate)
app.command()(ingest)
app.command()(anonymise)
app.command()(reidentify)
extract_app.command("rotate-key")(rotate_key)
app.add_typer(project_app, name="project")
app.add_typer(people_app, name="people")
app.add_typer(request_app, name="request")
app.add_typer(policy_app, name="policy")
app.add_typer(extract_app, name="extract")
app.add_typer(query_app, name="query")
app.command()(dummy)
app.add_typer(job_app, name="job")
app.add_typer(ledger_app, name="ledger")
app.add_typer(outputs_app, name="outputs")
app.add_typer(choices_app, name="choices")
app.add_typer(release_app, name="release")
app.add_typer(account_app, name="account")
app.add_typer(token_app, name="token")
app.add_typer(transparency_app, name="transparency")
app.add_typer(register_app, name="register")
app.add_typer(text_app, name="text")
app.command()(worker)


def main() -> None:
    app()
