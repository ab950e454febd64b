"""Opening the haven and its governance database for a command."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from openhaven.core.config import HOME_ENV
from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.errors import Location, NotFound
from openhaven.core.haven import Haven

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="The haven folder (default: $OPENHAVEN_HOME, else ~/.openhaven).",
        show_default=False,
    ),
]
GlobalHomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar=HOME_ENV,
        help="The haven folder for every command (default: ~/.openhaven).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def resolve_home(ctx: typer.Context, home: Path | None) -> Path | None:
    """A command's own --home wins over the one given before the command (or the env)."""
    if home is not None:
        return home
    chosen = (ctx.obj or {}).get("home") if ctx is not None else None
    return chosen if isinstance(chosen, Path) else None


def open_haven(home: Path | None, *, create: bool = True) -> Haven:
    return Haven.open(home, create=create)


@contextlib.contextmanager
def haven_command(ctx: typer.Context, home: Path | None, *, as_json: bool) -> Iterator[Haven]:
    """The opening every haven command shares: find the haven folder, open the haven, and
    report any error inside the block in the one error shape (JSON or text, with its exit
    code; unexpected errors go to the haven's error log under a reference, never as a trace).
    """
    from openhaven.cli.rendering import reporting_errors

    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        yield open_haven(home)


def error_log(home: Path | None) -> Path | None:
    try:
        return Haven.open(home, create=False).home / "logs" / "errors.log"
    except Exception:
        return None


@contextlib.contextmanager
def governance_session(haven: Haven) -> Iterator[Session]:
    """One unit of work on the haven's governance database, migrated to the latest schema."""
    engine = make_engine(haven.settings.database_url)
    try:
        migrate(engine)
        with unit_of_work(engine) as session:
            yield session
    finally:
        engine.dispose()


def acting_person(session: Session, email: str) -> Any:
    """The registered person ``--as EMAIL`` names (refused, naming the option, if none)."""
    from openhaven.governance import service as governance

    person = governance.find_person_by_email(session, email)
    if person is None:
        raise NotFound("No registered person has this email", Location(field="--as"))
    return person
