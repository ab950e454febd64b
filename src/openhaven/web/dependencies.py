"""What routes receive: the haven, its read-only view, a governance session per request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from openhaven.core.database import unit_of_work
from openhaven.core.haven import Haven
from openhaven.web.haven_view import HavenView

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def haven(request: Request) -> Haven:
    found: Haven = request.app.state.haven
    return found


def view(request: Request) -> HavenView:
    found: HavenView = request.app.state.view
    return found


def db(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the route returns, rolled back on error.

    Pages and API reads (GET, HEAD) only read, so on SQLite they never wait for a writer;
    every other method takes the write lock when it begins, so concurrent writers queue
    (up to the busy timeout) instead of failing with "database is locked".
    """
    writes = request.method not in ("GET", "HEAD")
    with unit_of_work(request.app.state.engine, write_lock=writes) as session:
        yield session


#: The request's unit of work, as a parameter default: ``session: Session = DB``. Scoped to the
#: route function, so the commit happens *before* the response is sent: a client that has
#: its answer can rely on what it was told.
DB: Any = Depends(db, scope="function")


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, name, {"haven": request.app.state.haven, **context}, status_code=status_code
    )
