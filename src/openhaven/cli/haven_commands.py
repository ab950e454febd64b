"""``openhaven init``, ``demo`` and ``serve``: making a haven and showing it."""

from __future__ import annotations

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
from openhaven.core.config import resolve_home as default_home
from openhaven.core.haven import Haven

DEMO_REPORT = "demo-report.json"


def init(ctx: typer.Context, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Create a haven: its folders, master key, record store and governance database."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.records.store import open_store

        with open_store(haven.paths.record_store):
            pass
        with governance_session(haven):
            pass
        if as_json:
            emit_json({"home": str(haven.home), "database_url": _redact(haven)})
        else:
            console.print(f"Haven ready at {haven.home}")


def demo(
    ctx: typer.Context,
    home: HomeOption = None,
    patients: Annotated[int, typer.Option("--patients", min=100)] = 50_000,
    seed: Annotated[int, typer.Option("--seed")] = 2026,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web app when done.")
    ] = True,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    as_json: JsonOption = False,
) -> None:
    """Run the whole journey on a fresh demo haven, then serve it on localhost."""
    home = resolve_home(ctx, home) or default_home(None)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.journey.demo import run_demo

        with console.status("Starting") as status:
            report = run_demo(home, patients=patients, seed=seed,
                              step=lambda title: status.update(title))
        (report.home / DEMO_REPORT).write_text(json.dumps(report.stages, indent=2, default=str))
        if as_json:
            emit_json({"home": str(report.home), "stages": report.stages})
        else:
            for stage in report.stages:
                console.print(f"[bold green]✓[/] {stage['title']}: {stage['summary']}",
                              highlight=False)
            console.print(report.accounts_notice, highlight=False, markup=False, soft_wrap=True)
    if serve_after:
        _serve(report.home, host, port)


def serve(
    ctx: typer.Context,
    home: HomeOption = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    with_worker: Annotated[bool, typer.Option(
        "--worker/--no-worker", help="Run queued analysis jobs in a background worker.")]
    = True,
    concurrency: Annotated[int, typer.Option(
        "--concurrency", help="Jobs the background worker runs at once.")] = 1,
) -> None:
    """Serve the web app for the haven (with a job worker unless --no-worker)."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=False, error_log=error_log(home)):
        haven = open_haven(home)
    _serve(haven.home, host, port, with_worker=with_worker, concurrency=concurrency)


def _serve(home: Path, host: str, port: int, *, with_worker: bool = True,
           concurrency: int = 1) -> None:
    import contextlib

    import uvicorn

    from openhaven.cli.worker_commands import background_worker
    from openhaven.web.app import create_app

    haven = open_haven(home)
    console.print(f"Serving the haven at http://{host}:{port}/ (Ctrl+C to stop)")
    with (background_worker(haven, concurrency=max(1, min(concurrency, 32))) if with_worker
          else contextlib.nullcontext()):
        uvicorn.run(create_app(haven), host=host, port=port, log_level="warning")


def _redact(haven: Haven) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(haven.settings.database_url)
    return url.render_as_string(hide_password=True)
