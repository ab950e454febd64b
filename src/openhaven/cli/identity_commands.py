"""``openhaven account ...`` and ``openhaven token ...``: accounts and API tokens.

Run by the custodian on the haven's own machine (the CLI acts as ``custodian``, like the other
administrative commands). Secrets made here — TOTP seeds and API tokens — are printed once
and never stored in the clear. Passwords are read from a prompt (or from standard input
with ``--password-stdin``), never from the command line, where they would be kept in shell
history and visible to other users.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.table import Table

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

account_app = typer.Typer(help="Accounts: sign-in for people registered in the haven.",
                          no_args_is_help=True)
token_app = typer.Typer(help="API tokens: scoped, expiring, revocable, shown once.",
                        no_args_is_help=True)
ACTOR = "custodian"

EmailArgument = Annotated[str, typer.Argument(help="The person's email address.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@account_app.command("create")
def create(
    ctx: typer.Context,
    email: EmailArgument,
    name: Annotated[str | None, typer.Option("--name", help="Display name, for a new person.")]
    = None,
    role: Annotated[list[str] | None, typer.Option("--role", help="Role, for a new person "
                                                   "(repeatable).")] = None,
    password_stdin: PasswordStdin = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give a person an account (registering them first when --name and --role are given)."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.core.errors import InvalidInput, Location
        from openhaven.governance import service as governance
        from openhaven.identity import accounts

        password = _read_password(password_stdin)
        haven = open_haven(home)
        with governance_session(haven) as session:
            person = governance.find_person_by_email(session, email)
            if person is None:
                if not name or not role:
                    raise InvalidInput("No person has this email; give --name and --role to "
                                       "register them", Location(field="email"))
                person = governance.register_person(
                    session, haven, display_name=name, email=email, roles=role,
                    organisation=None, actor=ACTOR,
                )
            made = accounts.create_account(session, haven, person, password=password,
                                           actor=ACTOR)
            result = {"person": person.reference, "roles": sorted(person.role_names),
                      "totp_secret": made.totp_secret}
        if as_json:
            emit_json(result)
            return
        console.print(f"Account created for {result['person']}.", highlight=False)
        if made.totp_secret:
            console.print(f"TOTP seed (shown once): {made.totp_secret}", highlight=False)


@account_app.command("list")
def list_accounts(ctx: typer.Context, home: HomeOption = None,
                  as_json: JsonOption = False) -> None:
    """List accounts: person, roles, second factor, disabled."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.identity import accounts

        with governance_session(haven) as session:
            rows: list[dict[str, Any]] = [
                {"person": a.reference, "email": a.person.email,
                 "roles": sorted(a.person.role_names), "second_factor": a.totp_enabled,
                 "disabled": a.disabled_at is not None}
                for a in accounts.list_accounts(session)
            ]
        if as_json:
            emit_json({"accounts": rows})
            return
        table = Table("Person", "Email", "Roles", "2nd factor", "Disabled")
        for row in rows:
            table.add_row(str(row["person"]), str(row["email"]), ", ".join(row["roles"]),
                          "yes" if row["second_factor"] else "no",
                          "yes" if row["disabled"] else "no")
        console.print(table)


@account_app.command("set-password")
def set_password(ctx: typer.Context, email: EmailArgument, password_stdin: PasswordStdin = False,
                 home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Set a new password (the account's sessions end)."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.identity import accounts

        password = _read_password(password_stdin)
        haven = open_haven(home)
        with governance_session(haven) as session:
            account = accounts.get_account(session, email)
            accounts.set_password(session, haven, account, password, actor=ACTOR)
            reference = account.reference
        _done(as_json, {"person": reference, "password_set": True},
              f"Password set for {reference}.")


@account_app.command("reset-totp")
def reset_totp(ctx: typer.Context, email: EmailArgument, home: HomeOption = None,
               as_json: JsonOption = False) -> None:
    """Give the account a new TOTP seed (printed once); old recovery codes stop working."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.identity import accounts

        with governance_session(haven) as session:
            account = accounts.get_account(session, email)
            secret = accounts.reset_totp(session, haven, account, actor=ACTOR)
            reference = account.reference
        _done(as_json, {"person": reference, "totp_secret": secret},
              f"New TOTP seed for {reference} (shown once): {secret}")


@account_app.command("disable")
def disable(ctx: typer.Context, email: EmailArgument, home: HomeOption = None,
            as_json: JsonOption = False) -> None:
    """Disable an account: its sessions end and its API tokens are revoked."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.identity import accounts

        with governance_session(haven) as session:
            account = accounts.get_account(session, email)
            accounts.disable_account(session, haven, account, actor=ACTOR)
            reference = account.reference
        _done(as_json, {"person": reference, "disabled": True}, f"Disabled {reference}.")


@account_app.command("set-roles")
def set_roles(
    ctx: typer.Context,
    email: EmailArgument,
    role: Annotated[list[str], typer.Option("--role", help="A role to hold (repeatable).")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replace a person's roles (the change is written to the audit log)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.core.errors import NotFound
        from openhaven.governance import service as governance
        from openhaven.identity import accounts

        with governance_session(haven) as session:
            person = governance.find_person_by_email(session, email)
            if person is None:
                raise NotFound("No person has this email")
            accounts.set_roles(session, haven, person, role, actor=ACTOR)
            result = {"person": person.reference, "roles": sorted(person.role_names)}
        _done(as_json, result, f"{result['person']} now holds: {', '.join(result['roles'])}")


@token_app.command("issue")
def issue(
    ctx: typer.Context,
    email: EmailArgument,
    label: Annotated[str, typer.Option("--label", help="What the token is for.")],
    scope: Annotated[str, typer.Option("--scope", help="read, write or admin.")] = "read",
    project: Annotated[str | None, typer.Option("--project", help="Limit to one project.")]
    = None,
    days: Annotated[int, typer.Option("--days", help="Days until it expires.")] = 30,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Issue an API token for a person's account; it is printed once."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.identity import accounts, api_tokens

        with governance_session(haven) as session:
            account = accounts.get_account(session, email)
            issued = api_tokens.issue_token(session, haven, account, label=label, scope=scope,
                                            project=project, days=days, actor=ACTOR)
            result = {**api_tokens.token_summary(issued.record), "token": issued.token}
        _done(as_json, result,
              f"Token {result['id']} ({scope}), shown once: {issued.token}")


@token_app.command("list")
def list_tokens(
    ctx: typer.Context,
    email: Annotated[str | None, typer.Argument(help="Only this person's tokens.")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """List API tokens (never the tokens themselves)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.identity import accounts, api_tokens

        with governance_session(haven) as session:
            owner = accounts.get_account(session, email) if email else None
            rows = [api_tokens.token_summary(t) for t in api_tokens.list_tokens(session, owner)]
        if as_json:
            emit_json({"tokens": rows})
            return
        table = Table("Id", "Owner", "Label", "Scope", "Project", "Expires", "Revoked")
        for row in rows:
            table.add_row(str(row["id"]), str(row["owner"]), str(row["label"]),
                          str(row["scope"]), str(row["project"] or "all"),
                          str(row["expires_at"])[:10], "yes" if row["revoked"] else "no")
        console.print(table)


@token_app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id (from token list).")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke an API token at once."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.identity import api_tokens

        with governance_session(haven) as session:
            record = api_tokens.revoke_token(session, haven, token_id, actor=ACTOR)
            result = api_tokens.token_summary(record)
        _done(as_json, result, f"Token {token_id} revoked.")


def _done(as_json: bool, result: Mapping[str, object], text: str) -> None:
    if as_json:
        emit_json(result)
    else:
        console.print(text, highlight=False)
