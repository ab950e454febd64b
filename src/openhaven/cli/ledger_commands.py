"""``openhaven ledger ...``: read and verify the audit log."""

from __future__ import annotations

from typing import Annotated

import typer

from openhaven.cli.context import HomeOption, JsonOption, error_log, open_haven, resolve_home
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import ExitCode

ledger_app = typer.Typer(help="The audit log: every step, append-only and verifiable.",
                         no_args_is_help=True)


@ledger_app.command("verify")
def verify_ledger(ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Check every entry; report the first one altered, removed or reordered."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.ledger import verify

        result = verify(open_haven(home))
        if as_json:
            emit_json(result.as_dict())
        elif result.ok:
            console.print(f"Ledger verified: {result.entries} entries.")
        else:
            console.print(f"[bold red]Ledger NOT verified[/] at entry {result.first_bad}: "
                          f"{result.reason}")
    if not result.ok:
        raise typer.Exit(ExitCode.CONFLICT)


@ledger_app.command("show")
def show_ledger(
    ctx: typer.Context,
    home: HomeOption = None,
    action: Annotated[str | None, typer.Option(help="Only actions starting with this.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List ledger entries (they hold no identifiable data)."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.ledger import read_entries

        entries = [e.as_dict() for e in read_entries(open_haven(home), action_prefix=action)]
        if as_json:
            emit_json({"entries": entries})
            return
        for entry in entries:
            console.print(f"{entry['seq']:>5} {entry['time'][:19]} {entry['action']:<24} "
                          f"{entry['subject'] or ''}", highlight=False)
