"""``openhaven transparency ...`` and ``openhaven register ...``: openness for staff.

``transparency patient`` answers a patient's request received by post or phone: which
projects' extracts included their record. Each look-up is written to the ledger under the
patient's pseudonymous reference. ``register export`` writes the public register as CSV or
JSON, validated against the published schema.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from openhaven.cli.context import (
    HomeOption,
    JsonOption,
    error_log,
    governance_session,
    haven_command,
    open_haven,
    resolve_home,
)
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import InvalidInput, Location

transparency_app = typer.Typer(
    help="How patients' data was used: answer a patient's request, link accounts, benefits.",
    no_args_is_help=True,
)
register_app = typer.Typer(help="The public register of data uses.", no_args_is_help=True)

NhsNumberArgument = Annotated[str, typer.Argument(help="The patient's 10-digit NHS number.")]
ActorOption = Annotated[
    str, typer.Option("--actor", help="Who is acting (a staff reference), for the ledger.")
]


@transparency_app.command("patient")
def patient(
    ctx: typer.Context,
    nhs_number: NhsNumberArgument,
    actor: ActorOption = "custodian",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Which projects' extracts included this patient's record (a request by post or phone)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.transparency.patient_uses import data_uses_for_patient

        with governance_session(haven) as session:
            found = data_uses_for_patient(session, haven, nhs_number, actor=actor,
                                          channel="custodian-request")
        if as_json:
            emit_json(found)
            return
        if not found["extracts"]:
            console.print("No project's extract included this patient's record.")
        for use in found["extracts"]:
            released = ", ".join(o["name"] for o in use["outputs_released"]) or "none"
            console.print(
                f"{use['provisioned']} {use['reference']} v{use['version']}: {use['title']} — "
                f"{use['organisation']} ({use['organisation_kind']}, "
                f"{'commercial' if use['commercial'] else 'not commercial'}); "
                f"purpose: {use['purpose']}; outputs released: {released}",
                highlight=False,
            )


@transparency_app.command("link")
def link(
    ctx: typer.Context,
    account_id: Annotated[int, typer.Argument(help="The account to link.")],
    nhs_number: NhsNumberArgument,
    verified_by: Annotated[str, typer.Option("--verified-by",
                                             help="Who verified the holder's identity.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Link an account to the NHS number of its holder, whose identity staff verified."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.transparency.patient_links import link_patient

        with governance_session(haven) as session:
            found = link_patient(session, haven, account_id, nhs_number, verified_by=verified_by)
            answer = {"account_id": found.account_id, "verified_at": found.verified_at.isoformat()}
        if as_json:
            emit_json(answer)
        else:
            console.print(f"Account {account_id} linked to its holder's NHS record.")


@transparency_app.command("benefit")
def benefit(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="The project reference.")],
    summary: Annotated[str, typer.Option("--summary", help="What the project reports.")],
    reported_on: Annotated[str, typer.Option("--date", help="When it was reported (YYYY-MM-DD).")],
    link_to: Annotated[str | None,
                       typer.Option("--link", help="A public link (http/https).")] = None,
    actor: ActorOption = "custodian",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a benefit a project reports; the register shows it."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.transparency.benefits import benefit_summary, record_benefit

        try:
            day = dt.date.fromisoformat(reported_on)
        except ValueError:
            raise InvalidInput("--date must be YYYY-MM-DD", Location(field="date")) from None
        haven = open_haven(home)
        with governance_session(haven) as session:
            recorded = benefit_summary(record_benefit(
                session, haven, reference, reported_on=day, summary=summary, link=link_to,
                recorded_by=actor))
        if as_json:
            emit_json(recorded)
        else:
            console.print(f"Benefit recorded for {reference}.", highlight=False)


@register_app.command("export")
def export(
    ctx: typer.Context,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "json",
    output: Annotated[Path | None,
                      typer.Option("--output", help="Write here (default: stdout).")] = None,
    home: HomeOption = None,
) -> None:
    """Write the public register as CSV or JSON, validated against its published schema."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=False, error_log=error_log(home)):
        from openhaven.transparency.register_export import (
            FORMATS,
            register_csv,
            register_document,
        )

        if output_format not in FORMATS:
            raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}",
                               Location(field="format"))
        haven = open_haven(home)
        with governance_session(haven) as session:
            if output_format == "csv":
                text = register_csv(session, haven)
            else:
                text = json.dumps(register_document(session, haven), indent=2,
                                  ensure_ascii=False) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
