"""The JSON API for the same summaries the pages show."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from openhaven import __version__
from openhaven.web.actions import (
    LEDGER_READ,
    OUTPUT_READ,
    PROJECT_READ,
    PUBLIC_READ,
    RECORDS_COUNT,
    requires,
)
from openhaven.web.credentials import visible_projects
from openhaven.web.dependencies import DB, view
from openhaven.web.haven_view import HavenView

router = APIRouter(prefix="/api")


@router.get("/health", dependencies=[requires(PUBLIC_READ)])
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/projects", dependencies=[requires(PROJECT_READ)])
def projects(
    request: Request, session: Session = DB, v: HavenView = Depends(view)
) -> dict[str, Any]:
    return {"projects": visible_projects(request, v.projects(session))}


@router.get("/projects/{reference}", dependencies=[requires(PROJECT_READ)])
def project(
    reference: str, session: Session = DB, v: HavenView = Depends(view)
) -> dict[str, Any]:
    return v.project(session, reference)


@router.get("/register", dependencies=[requires(PUBLIC_READ)])
def register(session: Session = DB, v: HavenView = Depends(view)) -> dict[str, Any]:
    return {"projects": v.register(session)}


@router.get("/outputs/{output_id}", dependencies=[requires(OUTPUT_READ)])
def output(
    output_id: int, session: Session = DB, v: HavenView = Depends(view)
) -> dict[str, Any]:
    return v.output(session, output_id)


@router.get("/records/counts", dependencies=[requires(RECORDS_COUNT)])
def record_counts(v: HavenView = Depends(view)) -> dict[str, int]:
    return v.record_counts()


@router.get("/ledger", dependencies=[requires(LEDGER_READ)])
def ledger(v: HavenView = Depends(view)) -> dict[str, Any]:
    return v.ledger()
