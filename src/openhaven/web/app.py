"""The FastAPI application: pages and API over the haven's services.

``create_app`` wires one haven into an app: its governance database (migrated at start),
security headers on every response, the routers of each area, and one error handler that
renders ``OpenHavenError`` as JSON for ``/api`` and as a page elsewhere — never a traceback
or exception text.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from openhaven import __version__
from openhaven.core.database import make_engine, migrate
from openhaven.core.errors import OpenHavenError
from openhaven.core.haven import Haven
from openhaven.web.actions import declare_refusals
from openhaven.web.credentials import SignInRequired, install_template_globals
from openhaven.web.dependencies import TEMPLATES, page
from openhaven.web.haven_view import HavenView, static_folder
from openhaven.web.routes import airlock as airlock_routes
from openhaven.web.routes import analysis as analysis_routes
from openhaven.web.routes import api, identity_api, identity_oidc, identity_pages, pages
from openhaven.web.routes import choices as choices_routes
from openhaven.web.routes import governance as governance_routes
from openhaven.web.routes import jobs_pages as jobs_page_routes
from openhaven.web.routes import my_choices as my_choices_routes
from openhaven.web.routes import provisioning as provisioning_routes
from openhaven.web.routes import transparency as transparency_routes
from openhaven.web.security_headers import SecurityHeaders

log = logging.getLogger("openhaven.web")
ROUTERS = (pages.router, api.router, identity_pages.router, identity_api.router,
           identity_oidc.router, governance_routes.router, governance_routes.pages,
           choices_routes.router, choices_routes.pages,
           airlock_routes.router, airlock_routes.pages, transparency_routes.router,
           analysis_routes.router, my_choices_routes.router, my_choices_routes.pages,
           jobs_page_routes.pages, provisioning_routes.router, provisioning_routes.pages)


def create_app(haven: Haven) -> FastAPI:
    engine = make_engine(haven.settings.database_url)
    migrate(engine)
    app = FastAPI(title="OpenHaven", version=__version__, docs_url=None, redoc_url=None)
    app.state.haven = haven
    app.state.engine = engine
    app.state.view = HavenView(haven)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(static_folder())), name="static")
    for router in ROUTERS:
        app.include_router(router)
    declare_refusals(app)
    install_template_globals(TEMPLATES)
    _add_error_handlers(app)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, error: SignInRequired) -> Response:
        if _is_api(request):
            return JSONResponse(error.as_dict(), status_code=401,
                                headers={"WWW-Authenticate": 'Bearer realm="openhaven"'})
        target = "/sign-in?" + urlencode({"next": request.url.path})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(OpenHavenError)
    async def known_error(request: Request, error: OpenHavenError) -> Response:
        if _is_api(request):
            return JSONResponse(error.as_dict(), status_code=error.http_status)
        return page(request, "error.html", status_code=error.http_status,
                    message=error.message, reference=None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = "Not found" if error.status_code == 404 else "That request was not accepted"
        if _is_api(request):
            code = "not_found" if error.status_code == 404 else "http_error"
            return JSONResponse({"error": {"code": code, "message": message}},
                                status_code=error.status_code)
        return page(request, "error.html", status_code=error.status_code,
                    message=message, reference=None)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> Response:
        reference = secrets.token_hex(4)
        log.error("unexpected %s (reference %s)", type(error).__name__, reference)
        message = "Something went wrong on our side."
        if _is_api(request):
            return JSONResponse(
                {"error": {"code": "unexpected", "message": message, "reference": reference}},
                status_code=500,
            )
        return page(request, "error.html", status_code=500, message=message,
                    reference=reference)
