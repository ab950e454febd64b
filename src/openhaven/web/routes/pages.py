"""Server-rendered pages over the haven's summaries (no record-level data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from openhaven.web.actions import (
    LEDGER_READ,
    OUTPUT_READ,
    PROJECT_READ,
    PUBLIC_READ,
    RECORDS_COUNT,
    requires,
)
from openhaven.web.credentials import visible_projects
from openhaven.web.dependencies import DB, page, view
from openhaven.web.haven_view import HavenView

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/", dependencies=[requires(PUBLIC_READ)])
def home(
    request: Request, session: Session = DB, v: HavenView = Depends(view)
) -> HTMLResponse:
    return page(
        request, "home.html", stages=v.demo_stages(), counts=v.record_counts(),
        projects=visible_projects(request, v.projects(session)), ledger=v.ledger(limit=10),
    )


@router.get("/records", dependencies=[requires(RECORDS_COUNT)])
def records(request: Request, v: HavenView = Depends(view)) -> HTMLResponse:
    return page(request, "records.html", counts=v.record_counts())


@router.get("/projects", dependencies=[requires(PROJECT_READ)])
def projects(
    request: Request, session: Session = DB, v: HavenView = Depends(view)
) -> HTMLResponse:
    return page(request, "projects.html", projects=visible_projects(request, v.projects(session)))


@router.get("/projects/{reference}", dependencies=[requires(PROJECT_READ)])
def project(
    request: Request, reference: str, session: Session = DB,
    v: HavenView = Depends(view),
) -> HTMLResponse:
    return page(request, "project.html", project=v.project(session, reference))


@router.get("/outputs/{output_id}", dependencies=[requires(OUTPUT_READ)])
def output(
    request: Request, output_id: int, session: Session = DB,
    v: HavenView = Depends(view),
) -> HTMLResponse:
    return page(request, "output.html", output=v.output(session, output_id))


@router.get("/register", dependencies=[requires(PUBLIC_READ)])
def register(
    request: Request, session: Session = DB, v: HavenView = Depends(view)
) -> HTMLResponse:
    return page(request, "register.html", projects=v.register(session))


@router.get("/ledger", dependencies=[requires(LEDGER_READ)])
def ledger(request: Request, v: HavenView = Depends(view)) -> HTMLResponse:
    return page(request, "ledger.html", ledger=v.ledger())
