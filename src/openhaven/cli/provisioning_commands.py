"""``openhaven reidentify`` and ``openhaven extract rotate-key``: the custodian's key operations.

Both run as the custodian on the haven's own host (the CLI reads the master key file, which
only the custodian can). Re-identification prints the NHS number to this terminal only; the
audit log and the re-identification log hold the reason and the patient's ledger reference.
"""

from __future__ import annotations

from typing import Annotated

import typer

from openhaven.cli.context import (
    HomeOption,
    JsonOption,
    governance_session,
    haven_command,
)
from openhaven.cli.rendering import console, emit_json

ACTOR = "custodian"
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (recorded in the audit log; name the case, not "
                      "the patient).")
]


def reidentify(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference.")],
    pseudonym: Annotated[str, typer.Argument(help="The project pseudonym to re-identify.")],
    reason: ReasonOption,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-identify a project pseudonym to its NHS number (custodian only; recorded)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.provisioning.key_epochs import reidentify as reidentify_pseudonym

        with governance_session(haven) as session:
            found = reidentify_pseudonym(session, haven, reference, pseudonym, actor=ACTOR,
                                         reason=reason)
        if as_json:
            emit_json({"project": found.project, "pseudonym": found.pseudonym,
                       "found": found.found, "key_epoch": found.key_epoch,
                       "nhs_number": found.nhs_number, "patient_id": found.patient_id})
        elif not found.found:
            console.print(f"No patient has pseudonym {found.pseudonym} in {reference} "
                          "(recorded)")
        else:
            who = found.nhs_number or f"record-store patient {found.patient_id}"
            console.print(f"{found.pseudonym} in {reference} (key epoch {found.key_epoch}) "
                          f"is {who} (recorded)")


def rotate_key(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference.")],
    reason: ReasonOption,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rotate a project's pseudonymisation key: later extracts get new pseudonyms."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.provisioning.key_epochs import rotate_key as rotate

        with governance_session(haven) as session:
            epoch = rotate(session, haven, reference, actor=ACTOR, reason=reason)
        if as_json:
            emit_json({"project": reference, "key_epoch": epoch})
        else:
            console.print(f"{reference} now uses key epoch {epoch}; the next extract gets new "
                          "pseudonyms")
