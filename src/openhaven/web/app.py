"""The FastAPI application: pages and API over the haven's services.

``create_app`` wires one haven into an app: its governance database (migrated at start),
security headers on every response, and one error handler that renders ``OpenHavenError``
as JSON for ``/api`` and as a page elsewhere — never a traceback or exception text.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from openhaven import __version__
from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.errors import OpenHavenError
from openhaven.core.haven import Haven
from openhaven.web.haven_view import HavenView, static_folder
from openhaven.web.security_headers import SecurityHeaders

log = logging.getLogger("openhaven.web")
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(haven: Haven) -> FastAPI:
    engine = make_engine(haven.settings.database_url)
    migrate(engine)
    view = HavenView(haven)
    app = FastAPI(title="OpenHaven", version=__version__, docs_url=None, redoc_url=None)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(static_folder())), name="static")

    def db() -> Iterator[Session]:
        with unit_of_work(engine) as session:
            yield session

    def page(request: Request, name: str, **context: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, name, {"haven": haven, **context})

    @app.exception_handler(OpenHavenError)
    async def known_error(request: Request, error: OpenHavenError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(error.as_dict(), status_code=error.http_status)
        return TEMPLATES.TemplateResponse(
            request, "error.html", {"message": error.message, "reference": None},
            status_code=error.http_status,
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> Response:
        reference = secrets.token_hex(4)
        log.error("unexpected %s (reference %s)", type(error).__name__, reference)
        message = "Something went wrong on our side."
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"error": {"code": "unexpected", "message": message, "reference": reference}},
                status_code=500,
            )
        return TEMPLATES.TemplateResponse(
            request, "error.html", {"message": message, "reference": reference}, status_code=500
        )

    # Pages --------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, session: Session = Depends(db)) -> HTMLResponse:
        return page(
            request, "home.html",
            stages=view.demo_stages(), counts=view.record_counts(),
            projects=view.projects(session), ledger=view.ledger(limit=10),
        )

    @app.get("/records", response_class=HTMLResponse, include_in_schema=False)
    def records(request: Request) -> HTMLResponse:
        return page(request, "records.html", counts=view.record_counts())

    @app.get("/projects", response_class=HTMLResponse, include_in_schema=False)
    def projects(request: Request, session: Session = Depends(db)) -> HTMLResponse:
        return page(request, "projects.html", projects=view.projects(session))

    @app.get("/projects/{reference}", response_class=HTMLResponse, include_in_schema=False)
    def project(request: Request, reference: str, session: Session = Depends(db)) -> HTMLResponse:
        return page(request, "project.html", project=view.project(session, reference))

    @app.get("/outputs/{output_id}", response_class=HTMLResponse, include_in_schema=False)
    def output(request: Request, output_id: int, session: Session = Depends(db)) -> HTMLResponse:
        return page(request, "output.html", output=view.output(session, output_id))

    @app.get("/register", response_class=HTMLResponse, include_in_schema=False)
    def register(request: Request, session: Session = Depends(db)) -> HTMLResponse:
        return page(request, "register.html", projects=view.register(session))

    @app.get("/ledger", response_class=HTMLResponse, include_in_schema=False)
    def ledger(request: Request) -> HTMLResponse:
        return page(request, "ledger.html", ledger=view.ledger())

    # API ----------------------------------------------------------------------------------
    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/projects")
    def api_projects(session: Session = Depends(db)) -> dict[str, Any]:
        return {"projects": view.projects(session)}

    @app.get("/api/projects/{reference}")
    def api_project(reference: str, session: Session = Depends(db)) -> dict[str, Any]:
        return view.project(session, reference)

    @app.get("/api/register")
    def api_register(session: Session = Depends(db)) -> dict[str, Any]:
        return {"projects": view.register(session)}

    @app.get("/api/outputs/{output_id}")
    def api_output(output_id: int, session: Session = Depends(db)) -> dict[str, Any]:
        return view.output(session, output_id)

    @app.get("/api/records/counts")
    def api_record_counts() -> dict[str, int]:
        return view.record_counts()

    @app.get("/api/ledger")
    def api_ledger() -> dict[str, Any]:
        return view.ledger()

    return app
