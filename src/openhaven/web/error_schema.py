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
