"""``openhaven people|request|policy ...`` and project decisions: the governance framework.

``policy duo-match`` and ``policy check`` need no haven: they are pure decisions over codes
and files. Everything else acts on the haven's governance database as a named person
(``--as EMAIL``), whose reference — never their email — goes into the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

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
from openhaven.cli.project_commands import project_app
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import InvalidInput, Location, NotFound

people_app = typer.Typer(help="Safe people: organisations, people, roles, accreditations.",
                         no_args_is_help=True)
request_app = typer.Typer(help="Data access requests: apply, submit, review, amend.",
                          no_args_is_help=True)
policy_app = typer.Typer(help="The governance policy and DUO matching.", no_args_is_help=True)

ActingAs = Annotated[str, typer.Option("--as", help="Email of the person acting.")]
Reference = Annotated[str, typer.Argument(help="Project reference, e.g. OH-2026-0001.")]
Reasons = Annotated[str, typer.Option("--reasons", help="Why (recorded in the ledger).")]



def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise InvalidInput("No such file", Location(file=str(path)))
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInput("The file is not valid YAML/JSON", Location(
            file=path.name, line=None if mark is None else mark.line + 1)) from None
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text", Location(file=path.name)) from None


# --- policy -----------------------------------------------------------------------------

@policy_app.command("duo-match")
def duo_match(
    purpose: Annotated[str, typer.Option("--purpose", help="The request's codes, comma-sep.")],
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset's codes, comma-sep.")],
    for_profit: Annotated[bool, typer.Option("--for-profit", help="The purpose is for profit.")]
    = False,
    as_json: JsonOption = False,
) -> None:
    """Match a purpose against a dataset's data-use limitations: approve, deny or refer."""
    with reporting_errors(as_json=as_json):
        from openhaven.governance.duo import match_duo

        verdict = match_duo(purpose, dataset, for_profit=for_profit)
        if as_json:
            emit_json(verdict.as_dict())
            return
        console.print(f"[bold]{verdict.decision}[/]", highlight=False)
        for reason in verdict.reasons:
            console.print(f"  - {reason}", highlight=False)


@policy_app.command("show")
def show_policy(ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Show the policy in force: quorum, datasets and every rule in plain English."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json):
        from openhaven.governance.policy import load_policy

        policy = load_policy(open_haven(home).home)
        body = {
            "source": policy.source,
            "quorum": policy.quorum,
            "required_accreditations": sorted(policy.required_accreditations),
            "datasets": [{"name": d.name, "title": d.title, "tables": sorted(d.tables),
                          "limitations": list(d.limitations)} for d in policy.datasets],
            "rules": [{"id": r.id, "outcome": r.outcome, "text": r.text} for r in policy.rules],
        }
        if as_json:
            emit_json(body)
            return
        for rule in policy.rules:
            console.print(f"[bold]{rule.id}[/] ({rule.outcome}): {rule.text}", highlight=False)


@policy_app.command("check")
def check_request(
    ctx: typer.Context,
    request_file: Annotated[Path, typer.Argument(help="A request file (YAML or JSON).")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Screen a request file against the policy without submitting it."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json):
        from openhaven.governance.access_request import AccessRequest
        from openhaven.governance.policy import load_policy, screen

        raw = _read_yaml(request_file)
        if not isinstance(raw, dict):
            raise InvalidInput("A request file must hold a mapping",
                               Location(file=request_file.name))
        fields = {k: v for k, v in raw.items() if k not in ("organisation", "lead", "team")}
        request = AccessRequest.from_dict(fields, source=request_file.name)
        verdict = screen(request, load_policy(home))
        if as_json:
            emit_json(verdict.as_dict())
            return
        console.print(f"[bold]{verdict.outcome}[/]", highlight=False)
        for rule in verdict.fired:
            console.print(f"  - {rule.id} ({rule.outcome}): {rule.why}", highlight=False)


# --- people -----------------------------------------------------------------------------

@people_app.command("add-organisation")
def add_organisation(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    kind: Annotated[str, typer.Option("--kind", help="nhs, academic, charity, public_body or "
                                                     "commercial.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register an organisation."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance import service as governance

        with governance_session(haven) as session:
            organisation = governance.register_organisation(
                session, haven, name=name, kind=kind, actor="custodian")
            body = {"id": organisation.id, "name": organisation.name,
                    "kind": str(organisation.kind)}
        _done(body, f"Registered organisation:{body['id']}", as_json)


@people_app.command("add")
def add_person(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The person's email (never put in the ledger).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    roles: Annotated[str, typer.Option("--roles", help="Comma-separated roles.")],
    organisation: Annotated[str | None, typer.Option("--organisation")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a person with one or more roles."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance import repository
        from openhaven.governance import service as governance

        with governance_session(haven) as session:
            found = None
            if organisation is not None:
                found = repository.organisation_by_name(session, organisation)
                if found is None:
                    raise NotFound("No registered organisation has this name",
                                   Location(field="--organisation"))
            person = governance.register_person(
                session, haven, display_name=name, email=email,
                roles=[r.strip() for r in roles.split(",") if r.strip()],
                organisation=found, actor="custodian")
            body = {"reference": person.reference, "roles": sorted(person.role_names)}
        _done(body, f"Registered {body['reference']}", as_json)


@people_app.command("list")
def list_people(ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List people with their roles, current accreditations and access."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance import repository
        from openhaven.governance.access import current_accreditations

        with governance_session(haven) as session:
            people: list[dict[str, Any]] = [
                {"reference": p.reference, "name": p.display_name, "email": p.email,
                 "roles": sorted(p.role_names),
                 "organisation": None if p.organisation is None else p.organisation.name,
                 "accreditations": sorted(current_accreditations(session, p))}
                for p in repository.all_people(session)
            ]
        if as_json:
            emit_json({"people": people})
            return
        table = Table("Reference", "Name", "Roles", "Accreditations")
        for p in people:
            table.add_row(p["reference"], p["name"], ", ".join(p["roles"]),
                          ", ".join(p["accreditations"]))
        console.print(table)


@people_app.command("accredit")
def accredit(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The person's email.")],
    kind: Annotated[str, typer.Option("--kind", help="accredited_researcher or ig_training.")],
    valid_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    expires: Annotated[str, typer.Option("--expires", help="Day it expires (YYYY-MM-DD).")],
    certificate: Annotated[str | None, typer.Option("--certificate")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an accreditation or its renewal; access is suspended or restored to match."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.governance.access import record_accreditation

        start, end = _day(valid_from, "--from"), _day(expires, "--expires")
        haven = open_haven(home)
        with governance_session(haven) as session:
            person = acting_person(session, email)
            accreditation = record_accreditation(
                session, haven, person, kind=kind, valid_from=start, expires_at=end,
                certificate=certificate, actor="custodian")
            body = {"person": person.reference, "kind": str(accreditation.kind),
                    "valid_from": accreditation.valid_from.isoformat(),
                    "expires_at": accreditation.expires_at.isoformat()}
        _done(body, f"Accreditation recorded for {body['person']}", as_json)


@people_app.command("refresh-access")
def refresh_access(ctx: typer.Context, home: HomeOption = None,
                   as_json: JsonOption = False) -> None:
    """Record every suspension or restoration of access since the last run (run daily)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance.access import refresh_access_states

        with governance_session(haven) as session:
            changes = refresh_access_states(session, haven)
        _done({"changes": changes}, f"{len(changes)} change(s) recorded", as_json)


# --- requests ---------------------------------------------------------------------------

@request_app.command("create")
def create_request(
    ctx: typer.Context,
    request_file: Annotated[Path, typer.Argument(help="A request file (YAML or JSON).")],
    acting: ActingAs,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a draft project from a request file."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.governance import service as governance

        raw = _read_yaml(request_file)
        haven = open_haven(home)
        with governance_session(haven) as session:
            person = acting_person(session, acting)
            project = governance.create_project_from_request(
                session, haven, raw, actor=person.reference, source=request_file.name)
            body = {"reference": project.reference, "status": str(project.status)}
        _done(body, f"Created {body['reference']} (draft)", as_json)


@request_app.command("submit")
def submit_request(ctx: typer.Context, reference: Reference, acting: ActingAs,
                   home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Submit the draft; screening runs at once and says what it found."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance import service as governance
        from openhaven.governance.workflow import latest_request

        with governance_session(haven) as session:
            person = acting_person(session, acting)
            project = governance.submit_project(session, haven, reference,
                                                actor=person.reference)
            record = latest_request(project)
            body = {"reference": reference, "status": str(record.status),
                    "screening": record.screening}
        _done(body, f"{reference}: {body['status']}", as_json)


@request_app.command("vote")
def vote(
    ctx: typer.Context,
    reference: Reference,
    acting: ActingAs,
    decision: Annotated[str, typer.Option("--vote", help="approve, reject, return_for_changes "
                                                         "or comment.")],
    reasons: Reasons,
    acknowledge: Annotated[bool, typer.Option("--acknowledge-flags",
                                              help="Explicitly approve referred points.")]
    = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """A committee member's vote or comment on the request under review."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance import service as governance

        with governance_session(haven) as session:
            member = acting_person(session, acting)
            project = governance.cast_vote(session, haven, reference, member=member,
                                           vote=decision, comment=reasons,
                                           acknowledge_flags=acknowledge)
            body = {"reference": reference, "status": str(project.status),
                    "request_status": str(project.requests[-1].status)}
        _done(body, f"{reference}: {body['request_status']}", as_json)


@request_app.command("conflict")
def conflict(ctx: typer.Context, reference: Reference, acting: ActingAs, reasons: Reasons,
             home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Declare a conflict of interest: the member may no longer vote on the project."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance import service as governance

        with governance_session(haven) as session:
            member = acting_person(session, acting)
            governance.declare_conflict(session, haven, reference, member=member,
                                        reason=reasons)
        _done({"reference": reference, "declared": True}, "Conflict declared", as_json)


@request_app.command("revise")
def revise(
    ctx: typer.Context,
    reference: Reference,
    changes_file: Annotated[Path, typer.Argument(help="Changed fields (YAML or JSON).")],
    acting: ActingAs,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Edit a draft, revise a returned request, or propose an amendment to an approved one."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.governance import service as governance

        changes = _read_yaml(changes_file)
        if not isinstance(changes, dict):
            raise InvalidInput("A changes file must hold a mapping",
                               Location(file=changes_file.name))
        haven = open_haven(home)
        with governance_session(haven) as session:
            person = acting_person(session, acting)
            record = governance.revise_request(session, haven, reference, changes=changes,
                                               actor=person.reference)
            body = {"reference": reference, "version": record.version,
                    "kind": str(record.kind), "status": str(record.status)}
        _done(body, f"{reference} v{body['version']}: {body['status']}", as_json)


@request_app.command("queue")
def queue(ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """The committee's review queue, oldest first."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance.views import queue_entry
        from openhaven.governance.workflow import review_queue

        with governance_session(haven) as session:
            entries = [queue_entry(record) for record in review_queue(session)]
        if as_json:
            emit_json({"queue": entries})
            return
        table = Table("Reference", "Version", "Kind", "Screening", "Approvals")
        for e in entries:
            table.add_row(e["reference"], str(e["version"]), e["kind"], e["screening"],
                          f"{e['approvals']}/{e['quorum']}")
        console.print(table)


@request_app.command("show")
def show_request(ctx: typer.Context, reference: Reference, home: HomeOption = None,
                 as_json: JsonOption = False) -> None:
    """A request's versions, screening, votes and transitions."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance.views import request_detail

        with governance_session(haven) as session:
            body = request_detail(session, reference)
        if as_json:
            emit_json(body)
            return
        console.print_json(data=body)


# --- project decisions (added to ``openhaven project``) ---------------------------------

@project_app.command("suspend")
def suspend(ctx: typer.Context, reference: Reference, acting: ActingAs, reasons: Reasons,
            home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Suspend an approved project's access at once."""
    _decide_project(ctx, home, as_json, reference, lambda governance, session, haven:
                    governance.suspend_project(session, haven, reference,
                                               decided_by=acting_person(session, acting),
                                               reasons=reasons))


@project_app.command("reinstate")
def reinstate(ctx: typer.Context, reference: Reference, acting: ActingAs, reasons: Reasons,
              home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Lift a project's suspension (its agreement still bounds its access)."""
    _decide_project(ctx, home, as_json, reference, lambda governance, session, haven:
                    governance.reinstate_project(session, haven, reference,
                                                 decided_by=acting_person(session, acting),
                                                 reasons=reasons))


@project_app.command("close")
def close(
    ctx: typer.Context, reference: Reference, acting: ActingAs, reasons: Reasons,
    extracts_destroyed: Annotated[bool, typer.Option(
        "--extracts-destroyed", help="Confirm every extract of the project was destroyed.")]
    = False,
    home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Close a project for good, confirming its extracts were destroyed."""
    _decide_project(ctx, home, as_json, reference, lambda governance, session, haven:
                    governance.close_project(session, haven, reference,
                                             decided_by=acting_person(session, acting),
                                             reasons=reasons,
                                             extracts_destroyed=extracts_destroyed))


def _decide_project(
    ctx: typer.Context, home: Path | None, as_json: bool, reference: str,
    decide: Callable[[Any, Any, Any], Any],
) -> None:
    """Run one decision on a project (``decide(governance, session, haven)``), report status."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.governance import service as governance

        with governance_session(haven) as session:
            project = decide(governance, session, haven)
            body = {"reference": reference, "status": str(project.status)}
        _done(body, f"{reference}: {body['status']}", as_json)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Expected a date (YYYY-MM-DD)", Location(field=option)) from None


def _done(body: dict[str, Any], message: str, as_json: bool) -> None:
    if as_json:
        emit_json(body)
    else:
        console.print(message, highlight=False)
