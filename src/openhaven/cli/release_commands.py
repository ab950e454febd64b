"""``openhaven release ...``: the airlock from the command line.

A researcher asks for a release (``request``) or withdraws it (``withdraw``); an output
checker votes (``review``); anyone on either side reads where it stands (``show``, votes
sealed until both are in). ``verify-manifest`` needs no haven at all: given a released
folder and the haven's public key, it checks the signature and every file's hash.
People act as themselves with ``--as EMAIL``; the ledger records their reference only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from openhaven.cli.context import (
    HomeOption,
    JsonOption,
    acting_person,
    governance_session,
    open_haven,
)
from openhaven.cli.context import resolve_home as _resolve_home
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import ExitCode, InvalidInput, Location

release_app = typer.Typer(help="The airlock: release requests, reviews and signed manifests.",
                          no_args_is_help=True)

ActingAs = Annotated[str, typer.Option("--as", help="Email of the person acting.")]
RequestId = Annotated[int, typer.Argument(help="The release request's number.")]



def _items(outputs: list[str], files: list[str]) -> list[Any]:
    """``ID=description[::exception]`` for outputs, ``PATH=description[::exception]`` files."""
    from openhaven.outputs.airlock import ItemRequest

    items = []
    for option, given in (("--output", outputs), ("--file", files)):
        for text in given:
            target, sep, rest = text.partition("=")
            if not sep or not rest.strip():
                raise InvalidInput(f"{option} needs TARGET=description",
                                   Location(field=option))
            description, _, exception = rest.partition("::")
            if option == "--output":
                if not target.strip().isdigit():
                    raise InvalidInput("--output needs an output number before '='",
                                       Location(field=option))
                items.append(ItemRequest(description, output_id=int(target),
                                         exception_reason=exception or None))
            else:
                items.append(ItemRequest(description, path=Path(target),
                                         exception_reason=exception or None))
    return items


@release_app.command("request")
def request_command(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference, e.g. OH-2026-0001.")],
    acting: ActingAs,
    title: Annotated[str, typer.Option("--title", help="What the bundle is for.")],
    output: Annotated[list[str] | None, typer.Option(
        "--output", help="OUTPUT_ID=description[::written exception]; repeatable.")] = None,
    file: Annotated[list[str] | None, typer.Option(
        "--file", help="PATH=description[::written exception]: a job's output file in the "
        "project's jobs/<id>/output folder; repeatable.")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask for checked outputs and job files to be released (two checkers must approve)."""
    with reporting_errors(as_json=as_json):
        from openhaven.outputs import airlock

        items = _items(output or [], file or [])
        haven = open_haven(_resolve_home(ctx, home))
        with governance_session(haven) as session:
            request = airlock.request_release(
                session, haven, reference, requester=acting_person(session, acting), title=title,
                items=items)
            body = airlock.describe_release(session, request, acting_person(session, acting))
        _show(body, as_json)


@release_app.command("review")
def review_command(
    ctx: typer.Context,
    request_id: RequestId,
    acting: ActingAs,
    decision: Annotated[str, typer.Option("--decision", help="approve, return or reject.")],
    comments: Annotated[str, typer.Option("--comments", help="Why (needed unless approving).")]
    = "",
    accept_exceptions: Annotated[bool, typer.Option(
        "--accept-exceptions", help="Approving also accepts the written exceptions for items "
        "that failed their checks.")] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Vote on a release request as an output checker (sealed until both votes are in)."""
    with reporting_errors(as_json=as_json):
        from openhaven.outputs import airlock

        haven = open_haven(_resolve_home(ctx, home))
        with governance_session(haven) as session:
            checker = acting_person(session, acting)
            request = airlock.review_release(session, haven, request_id, checker=checker,
                                             decision=decision, comments=comments,
                                             approve_exceptions=accept_exceptions)
            body = airlock.describe_release(session, request, checker)
        _show(body, as_json)


@release_app.command("withdraw")
def withdraw_command(
    ctx: typer.Context, request_id: RequestId, acting: ActingAs,
    reason: Annotated[str, typer.Option("--reason", help="Why (optional).")] = "",
    home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Withdraw your own release request before it is decided."""
    with reporting_errors(as_json=as_json):
        from openhaven.outputs import airlock

        haven = open_haven(_resolve_home(ctx, home))
        with governance_session(haven) as session:
            person = acting_person(session, acting)
            request = airlock.withdraw_release(session, haven, request_id, requester=person,
                                               reason=reason)
            body = airlock.describe_release(session, request, person)
        _show(body, as_json)


@release_app.command("resubmit")
def resubmit_command(
    ctx: typer.Context, request_id: RequestId, acting: ActingAs,
    exception: Annotated[list[str] | None, typer.Option(
        "--exception", help="ITEM_NAME=new written exception; repeatable.")] = None,
    description: Annotated[list[str] | None, typer.Option(
        "--description", help="ITEM_NAME=new description; repeatable.")] = None,
    home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Send a returned request back for a new round of two reviews."""
    with reporting_errors(as_json=as_json):
        from openhaven.outputs import airlock

        haven = open_haven(_resolve_home(ctx, home))
        with governance_session(haven) as session:
            person = acting_person(session, acting)
            request = airlock.resubmit_release(
                session, haven, request_id, requester=person,
                exceptions=_pairs(exception or [], "--exception"),
                descriptions=_pairs(description or [], "--description"))
            body = airlock.describe_release(session, request, person)
        _show(body, as_json)


@release_app.command("show")
def show_command(ctx: typer.Context, request_id: RequestId, acting: ActingAs,
                 home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Show a release request as you may see it."""
    with reporting_errors(as_json=as_json):
        from openhaven.outputs import airlock

        haven = open_haven(_resolve_home(ctx, home))
        with governance_session(haven) as session:
            person = acting_person(session, acting)
            body = airlock.describe_release(session, airlock.get_release(session, request_id),
                                            person)
        _show(body, as_json)


@release_app.command("verify-manifest")
def verify_manifest_command(
    folder: Annotated[Path, typer.Argument(help="A released folder (manifest.json inside).")],
    public_key: Annotated[Path, typer.Option(
        "--public-key", help="The haven's public key (PEM), as it publishes it.")],
    as_json: JsonOption = False,
) -> None:
    """Check a released folder: the manifest's signature and every file's hash."""
    with reporting_errors(as_json=as_json):
        from openhaven.outputs.airlock_manifest import load_public_key, verify_release_folder

        check = verify_release_folder(folder, load_public_key(public_key))
        if as_json:
            emit_json(check.as_dict())
        else:
            console.print(f"{check.files} files; signature and hashes "
                          f"{'valid' if check.valid else 'NOT valid'}", highlight=False)
            for problem in check.problems:
                console.print(f"  - {problem}", highlight=False)
        if not check.valid:
            raise typer.Exit(ExitCode.DENIED)


def _pairs(given: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for text in given:
        name, sep, value = text.partition("=")
        if not sep:
            raise InvalidInput(f"{option} needs ITEM_NAME=text", Location(field=option))
        pairs[name.strip()] = value
    return pairs


def _show(body: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(body)
        return
    console.print(f"[bold]Release request {body['id']}[/] ({body['project']}): "
                  f"{body['title']} — {body['status']}, round {body['round']}", highlight=False)
    for item in body["items"]:
        console.print(f"  {item['name']} [{item['verdict']}] {item['description']}",
                      highlight=False)
    for review in body["reviews"]:
        console.print(f"  round {review['round']}: {review['checker']} {review['decision']} "
                      f"{review['comments']}", highlight=False)
