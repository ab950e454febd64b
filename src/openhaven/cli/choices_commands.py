"""``openhaven choices ...``: patients' choices — set, withdraw, show, import, export, check.

Custodian commands. They may print the NHS number the custodian asked about (it is their
own query); logs and the ledger never carry it.
"""

from __future__ import annotations

from datetime import date
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

choices_app = typer.Typer(
    help="Patients' choices (opt-outs): record, show, import, export and bulk-check.",
    no_args_is_help=True,
)

NhsNumberArgument = Annotated[str, typer.Argument(help="The patient's 10-digit NHS number.")]
ChoiceOption = Annotated[
    str | None, typer.Option("--choice", help="Which choice (default: the policy's default).")
]
ActingAsOption = Annotated[
    str,
    typer.Option("--acting-as", help="self, parental_responsibility, "
                 "lasting_power_of_attorney or court_appointed_deputy."),
]
ChannelOption = Annotated[
    str, typer.Option("--channel", help="web, phone, paper, gp or bulk_file.")
]
RecordedByOption = Annotated[
    str, typer.Option("--recorded-by", help="Who recorded it (a staff or proxy reference).")
]
EffectiveOption = Annotated[
    str | None,
    typer.Option("--effective", help="When it takes effect (ISO date/time; default now)."),
]
ACTOR = "custodian"


def _record(
    ctx: typer.Context, home: Path | None, as_json: bool, *, opt_out: bool, nhs_number: str,
    choice: str | None, acting_as: str, channel: str, recorded_by: str, effective: str | None,
) -> None:
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.choices.recording import set_choice

        with governance_session(haven) as session:
            confirmation = set_choice(
                session, haven, nhs_number=nhs_number, choice=choice, opt_out=opt_out,
                channel=channel, recorded_by=recorded_by, acting_as=acting_as,
                effective_at=effective, require_known_patient=False,
            )
        if as_json:
            emit_json(confirmation.as_dict())
        else:
            verb = "Opt-out recorded" if opt_out else "Opt-out withdrawn"
            console.print(f"{verb} for {confirmation.choice}: reference "
                          f"{confirmation.reference}, effective {confirmation.effective_at}",
                          highlight=False)
            if not confirmation.age_checked:
                console.print("Note: the record store does not hold this patient, so who may "
                              "set the choice was not checked against their age.")


@choices_app.command("set")
def set_command(
    ctx: typer.Context,
    nhs_number: NhsNumberArgument,
    choice: ChoiceOption = None,
    acting_as: ActingAsOption = "self",
    channel: ChannelOption = "paper",
    recorded_by: RecordedByOption = ACTOR,
    effective: EffectiveOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an opt-out for a patient (from paper, the phone or a GP)."""
    _record(ctx, home, as_json, opt_out=True, nhs_number=nhs_number, choice=choice,
            acting_as=acting_as, channel=channel, recorded_by=recorded_by, effective=effective)


@choices_app.command("withdraw")
def withdraw_command(
    ctx: typer.Context,
    nhs_number: NhsNumberArgument,
    choice: ChoiceOption = None,
    acting_as: ActingAsOption = "self",
    channel: ChannelOption = "paper",
    recorded_by: RecordedByOption = ACTOR,
    effective: EffectiveOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that a patient withdrew their opt-out."""
    _record(ctx, home, as_json, opt_out=False, nhs_number=nhs_number, choice=choice,
            acting_as=acting_as, channel=channel, recorded_by=recorded_by, effective=effective)


@choices_app.command("show")
def show_command(
    ctx: typer.Context,
    nhs_number: NhsNumberArgument,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a patient's current choices and their history."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.choices.summary import patient_choices

        with governance_session(haven) as session:
            summary = patient_choices(session, haven, nhs_number)
        if as_json:
            emit_json(summary)
            return
        for choice, state in summary["current"].items():
            console.print(f"{choice:>24}: {state}", highlight=False)
        console.print(f"{len(summary['history'])} event(s) in the history")


@choices_app.command("history")
def history_command(
    ctx: typer.Context,
    nhs_number: NhsNumberArgument,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """List every event recorded for a patient, in order of effect."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.choices.summary import patient_choices

        with governance_session(haven) as session:
            history = patient_choices(session, haven, nhs_number)["history"]
        if as_json:
            emit_json({"nhs_number": nhs_number, "history": history})
            return
        for event in history:
            console.print(
                f"{event['reference']}  {event['effective_at']}  {event['choice']}: "
                f"{event['state']}  ({event['channel']}, by {event['recorded_by']} as "
                f"{event['acting_as']}, recorded {event['recorded_at']})", highlight=False,
            )


@choices_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        help="FHIR Consent (resource, Bundle or NDJSON) or GP Type 1 CSV.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import choices from a file; a partly bad file changes nothing."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.choices.importing import import_choices_file

        with governance_session(haven) as session:
            result = import_choices_file(session, haven, file, imported_by=ACTOR)
        if as_json:
            emit_json(result)
        else:
            console.print(f"Imported {result['imported']:,} choice event(s) ({result['format']})")


@choices_app.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="The file to write.")],
    export_format: Annotated[str | None, typer.Option(
        "--format", help="bundle, ndjson or csv (default: from the file's suffix).")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export every choice event as FHIR Consent (Bundle or NDJSON) or GP CSV."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.choices.importing import export_choices

        chosen = export_format or {".csv": "csv", ".ndjson": "ndjson",
                                   ".jsonl": "ndjson"}.get(out.suffix.lower(), "bundle")
        haven = open_haven(home)
        with governance_session(haven) as session:
            text = export_choices(session, haven, export_format=chosen)
        partial = out.with_name(f".{out.name}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(out)
        if as_json:
            emit_json({"path": str(out), "format": chosen})
        else:
            console.print(f"Wrote {out} ({chosen})", highlight=False)


@choices_app.command("check")
def check_command(
    ctx: typer.Context,
    numbers: Annotated[Path, typer.Argument(help="A list of NHS numbers, one a line.")],
    purpose: Annotated[str | None, typer.Option(
        "--purpose", help="research, planning or commercial.")] = None,
    project: Annotated[str | None, typer.Option(
        "--project", help="A project reference (its purposes and exemptions apply).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the usable numbers here.")]
    = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a list of NHS numbers against patients' choices; invalid ones are reported."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.choices.bulk_check import check_list_file
        from openhaven.core.errors import InvalidInput, Location

        if purpose is None and project is None:
            raise InvalidInput("Give --purpose or --project", Location(field="purpose"))
        haven = open_haven(home)
        with governance_session(haven) as session:
            result = check_list_file(session, haven, numbers, purpose=purpose,
                                     project=project, out=out, actor=ACTOR)
        if as_json:
            emit_json(result.as_dict())
            return
        console.print(f"{result.submitted:,} submitted, {result.usable:,} usable, "
                      f"{result.removed:,} removed by patients' choices, "
                      f"{result.invalid_count:,} invalid")
        for problem in result.invalid[:20]:
            console.print(f"  line {problem['line']}: {problem['reason']}", highlight=False)


@choices_app.command("exempt")
def exempt_command(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference.")],
    basis: Annotated[str, typer.Option("--basis", help="consent, anonymised, "
                     "copi_regulation_3, overriding_public_interest or legal_requirement.")],
    approved_by: Annotated[str, typer.Option("--approved-by", help="Who approved it.")],
    justification: Annotated[str, typer.Option("--justification", help="Why, in words.")],
    choice: ChoiceOption = None,
    valid_until: Annotated[str | None, typer.Option(
        "--valid-until", help="When it ends (ISO date).")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an exemption from a choice on a project (shown on the register)."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from datetime import datetime

        from openhaven.choices.exemptions import exemption_summary, record_exemption
        from openhaven.choices.policy import load_policy
        from openhaven.core.errors import InvalidInput, Location

        until = None
        if valid_until:
            try:
                until = datetime.fromisoformat(valid_until)
            except ValueError:
                raise InvalidInput("--valid-until must be an ISO date",
                                   Location(field="valid_until")) from None
        haven = open_haven(home)
        with governance_session(haven) as session:
            exemption = record_exemption(
                session, haven, reference, choice=choice or load_policy(haven).default_choice,
                basis=basis, approved_by=approved_by, justification=justification,
                recorded_by=ACTOR, valid_until=until,
            )
            summary = exemption_summary(exemption)
        if as_json:
            emit_json(summary)
        else:
            console.print(f"Exemption recorded on {reference}: {summary['basis_in_words']}",
                          highlight=False)


@choices_app.command("ingest-gp")
def ingest_gp_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="GP-sourced files or folders.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest GP-sourced records, keeping out patients with a Type 1 objection in force."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.choices.type1 import ingest_gp_records

        with governance_session(haven) as session:
            result, found = ingest_gp_records(session, haven, list(paths), actor=ACTOR)
        body = {**result.as_dict(), "withheld_by_type1": found.withheld_patients}
        if as_json:
            emit_json(body)
        else:
            console.print(f"Ingested {result.ingested}; {found.withheld_patients:,} patient(s) "
                          "kept out by Type 1 objections")


def _iso_date(text: str | None, option: str) -> date | None:
    from openhaven.core.errors import InvalidInput, Location

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--{option} must be an ISO date (YYYY-MM-DD)",
                           Location(field=option.replace("-", "_"))) from None


@choices_app.command("link-proxy")
def link_proxy_command(
    ctx: typer.Context,
    account_id: Annotated[int, typer.Argument(help="The proxy's account (it must hold the "
                                              "proxy role).")],
    nhs_number: NhsNumberArgument,
    role: Annotated[str, typer.Option("--role", help="parental_responsibility, "
                    "lasting_power_of_attorney or court_appointed_deputy.")],
    evidence: Annotated[str, typer.Option("--evidence", help="A reference to the evidence "
                        "seen (document or register number), not the document itself.")],
    valid_from: Annotated[str | None, typer.Option(
        "--valid-from", help="When the authority starts (ISO date; default today).")] = None,
    valid_until: Annotated[str | None, typer.Option(
        "--valid-until", help="The last day it holds (ISO date; default open-ended).")] = None,
    recorded_by: RecordedByOption = ACTOR,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a proxy's authority to act for a patient, so they set the choices themselves."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.choices.proxies import link_proxy, summary
        from openhaven.core.clock import today
        from openhaven.core.errors import NotFound
        from openhaven.identity.repository import account_by_id

        starts = _iso_date(valid_from, "valid-from") or today()
        ends = _iso_date(valid_until, "valid-until")
        with governance_session(haven) as session:
            account = account_by_id(session, account_id)
            if account is None:
                raise NotFound(f"There is no account {account_id}")
            link = link_proxy(
                session, haven, account_id=account.id, account_reference=account.reference,
                account_roles=account.person.role_names, nhs_number=nhs_number,
                acting_as=role, valid_from=starts, valid_until=ends,
                evidence_reference=evidence, actor=recorded_by)
            answer = summary(link).as_dict()
        if as_json:
            emit_json(answer)
        else:
            until = answer["valid_until"] or "further notice"
            console.print(f"Proxy link {answer['link']}: account {account_id} acts as "
                          f"{answer['acting_as']} from {answer['valid_from']} until {until}.",
                          highlight=False)


@choices_app.command("end-proxy")
def end_proxy_command(
    ctx: typer.Context,
    link_id: Annotated[int, typer.Argument(help="The proxy link to end.")],
    recorded_by: RecordedByOption = ACTOR,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """End a proxy link now (the authority was revoked, or recorded in error)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.choices.proxies import end_proxy_link, summary

        with governance_session(haven) as session:
            answer = summary(end_proxy_link(session, haven, link_id, actor=recorded_by))
        if as_json:
            emit_json(answer.as_dict())
        else:
            console.print(f"Proxy link {link_id} ended.")
