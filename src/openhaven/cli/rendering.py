"""How commands speak: JSON for scripts, Rich for people, and one way to report errors.

Every command runs inside ``reporting_errors``: an ``OpenHavenError`` becomes its message
(or its JSON shape with ``--json``) and its exit code; anything else becomes a reference
number and exit code 1, with only the exception's type and code locations written to the
haven's error log — never its text, which could hold a patient value.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from openhaven.core.clock import utc_now
from openhaven.core.errors import ExitCode, OpenHavenError

console = Console(stderr=True)


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout (nothing else goes to stdout with --json)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def reporting_errors(*, as_json: bool, error_log: Path | None = None) -> Iterator[None]:
    try:
        yield
    except OpenHavenError as error:
        if as_json:
            emit_json(error.as_dict())
        else:
            console.print(f"[bold red]Error:[/] {error}", highlight=False)
            for detail in error.details[:20]:
                console.print(f"  - {_describe_detail(detail)}", highlight=False)
            if len(error.details) > 20:
                console.print(f"  … and {len(error.details) - 20} more", highlight=False)
        raise typer.Exit(error.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as unexpected:
        reference = secrets.token_hex(4)
        _log_unexpected(unexpected, reference, error_log)
        message = f"Unexpected error (reference {reference}); the haven's error log has details."
        if as_json:
            emit_json({"error": {"code": "unexpected", "message": message}})
        else:
            console.print(f"[bold red]Error:[/] {message}", highlight=False)
        raise typer.Exit(ExitCode.UNEXPECTED) from None


def _describe_detail(detail: dict[str, Any]) -> str:
    where = ", ".join(
        f"{key} {detail[key]}" for key in ("file", "line", "entry", "field") if key in detail
    )
    reason = detail.get("reason") or detail.get("message") or ""
    return f"{where}: {reason}" if where else str(reason)


def _log_unexpected(error: Exception, reference: str, error_log: Path | None) -> None:
    """Record type and code locations only: the exception text may carry patient values."""
    frames = traceback.extract_tb(error.__traceback__)
    lines = [f"{utc_now().isoformat()} reference={reference} type={type(error).__name__}"]
    lines += [f"  at {Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames]
    if error_log is None:
        return
    error_log.parent.mkdir(parents=True, exist_ok=True)
    with error_log.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
