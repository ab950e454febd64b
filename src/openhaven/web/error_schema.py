"""The one error shape, as a schema for the OpenAPI document: ``{"error": {...}}``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    code: str
    message: str
    location: dict[str, Any] | None = None
    details: list[Any] | None = None
    reference: str | None = None


class ErrorAnswer(BaseModel):
    error: ErrorBody


def allow_error_shape_for_422(app: Any) -> None:
    """Let each documented 422 be FastAPI's validation body or the one error shape."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            schema: dict[str, Any] = app.openapi_schema
            return schema
        schema = build()
        error_ref = {"$ref": "#/components/schemas/ErrorAnswer"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                content = operation.get("responses", {}).get("422", {}).get("content", {})
                body = content.get("application/json")
                if body and "schema" in body and body["schema"] != error_ref:
                    body["schema"] = {"anyOf": [body["schema"], error_ref]}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
