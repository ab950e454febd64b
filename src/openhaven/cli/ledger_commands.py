"""``openhaven ledger ...``: verify the ledger, sign tree heads, hand out proofs and the key."""

from __future__ import annotations

from typing import Annotated

import typer

from openhaven.cli.context import (
    HomeOption,
    JsonOption,
    error_log,
    haven_command,
    open_haven,
    resolve_home,
)
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import ExitCode

ledger_app = typer.Typer(help="The ledger: every step, append-only, signed and provable.",
                         no_args_is_help=True)
proof_app = typer.Typer(help="Proofs that anyone with the public key can check.",
                        no_args_is_help=True)
ledger_app.add_typer(proof_app, name="proof")


@ledger_app.command("verify")
def verify_ledger(ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Check entries and signed heads; report the first entry altered, removed or reordered."""
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
                          f"{result.reason}", highlight=False)
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


@ledger_app.command("sign")
def sign_ledger(ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Sign a tree head for the ledger as it stands now (also tidies up after a crash)."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.ledger import sign_tree_head

        head = sign_tree_head(open_haven(home))
        if as_json:
            emit_json(head.as_json())
        else:
            console.print(f"Signed tree head: {head.tree_size} entries, root "
                          f"{head.root_hash.hex()}", highlight=False)


@ledger_app.command("public-key")
def public_key(ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Print the ledger's public key (PEM), creating the signing key on first use."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.ledger.signing_key import (
            key_id,
            public_key_path,
            public_key_pem,
            signing_key,
        )

        haven = open_haven(home)
        key = signing_key(haven).public_key()
        pem = public_key_pem(key).decode()
        if as_json:
            emit_json({"key_id": key_id(key), "public_key_pem": pem,
                       "path": str(public_key_path(haven))})
        else:
            typer.echo(pem, nl=False)


@ledger_app.command("key-history")
def key_history_command(
    ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Print every public key the ledger has signed with and when each was in force (JSON)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.ledger.signing_key import key_history, signing_key

        signing_key(haven)
        emit_json(key_history(haven).as_json())


@ledger_app.command("rotate-key")
def rotate_key(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(
        "--reason", help="Why the key is replaced (recorded in the ledger; no personal data)."
    )] = "",
    actor: Annotated[str, typer.Option(
        "--actor", help="Who is rotating (a custodian's reference), for the ledger."
    )] = "custodian",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replace the signing key (custodian): the old key signs the hand-over, then retires."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.ledger.key_rotation import rotate_signing_key

        rotation = rotate_signing_key(open_haven(home), actor=actor, reason=reason)
        if as_json:
            emit_json(rotation.as_dict())
        else:
            console.print(f"Signing key rotated at entry {rotation.entry.seq}: "
                          f"{rotation.old_key_id[:16]}… retired, {rotation.new_key_id[:16]}… "
                          "in force. Publish ledger/public-key-history.json.", highlight=False)


@proof_app.command("inclusion")
def inclusion_proof(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="The entry's sequence number.")],
    tree_size: Annotated[int | None, typer.Option(
        "--tree-size", help="Prove against the signed head of this size (default: the latest)."
    )] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Prove that entry SEQ is in the tree of a signed tree head."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.ledger.proof_bundles import inclusion_bundle

        bundle = inclusion_bundle(open_haven(home), seq, tree_size=tree_size)
        if as_json:
            emit_json(bundle)
        else:
            console.print(f"Entry {seq} is in the signed tree of {bundle['tree_size']} entries "
                          f"({len(bundle['audit_path'])} hashes in the proof); add --json for "
                          "the proof itself.", highlight=False)


@proof_app.command("consistency")
def consistency_proof(
    ctx: typer.Context,
    first: Annotated[int, typer.Argument(help="Tree size of the earlier signed head.")],
    second: Annotated[int, typer.Argument(help="Tree size of the later signed head.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Prove that the signed tree of SECOND entries extends the one of FIRST entries."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.ledger.proof_bundles import consistency_bundle

        bundle = consistency_bundle(open_haven(home), first, second)
        if as_json:
            emit_json(bundle)
        else:
            console.print(f"The tree of {second} entries extends the tree of {first} "
                          f"({len(bundle['proof'])} hashes in the proof); add --json for the "
                          "proof itself.", highlight=False)
