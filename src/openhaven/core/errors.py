"""One error hierarchy for the whole haven.

Every error a user can meet carries a message written for that user, an HTTP status for
the API, an exit code for the CLI and, where it helps, the location of the problem (file,
line, bundle entry, field). Interfaces render these errors; they never show tracebacks or
raw exception text, because exception text can carry patient values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ExitCode:
    """Exit codes that scripts can rely on (documented in docs/cli.md)."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    INVALID_INPUT = 3
    NOT_FOUND = 4
    DENIED = 5
    CONFIGURATION = 6
    CONFLICT = 7


@dataclass(frozen=True)
class Location:
    """Where in an input a problem was found; every part is optional."""

    file: str | None = None
    line: int | None = None
    entry: int | None = None
    field: str | None = None

    def describe(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.entry is not None:
            parts.append(f"entry {self.entry}")
        if self.field is not None:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class OpenHavenError(Exception):
    """Base of every error shown to a user.

    ``message`` must never contain a patient value: say which field is wrong, not what it held.
    """

    message: str
    location: Location | None = None
    details: list[dict[str, Any]] = field(default_factory=list)

    code = "error"
    http_status = 400
    exit_code = ExitCode.UNEXPECTED

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.location is not None and self.location.describe():
            return f"{self.message} ({self.location.describe()})"
        return self.message

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of every error answer (pinned by a test)."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.location is not None:
            body["location"] = self.location.as_dict()
        if self.details:
            body["details"] = self.details
        return {"error": body}


class InvalidInput(OpenHavenError):
    """Input (a file, a form, a command argument) failed validation."""

    code = "invalid_input"
    http_status = 422
    exit_code = ExitCode.INVALID_INPUT


class NotFound(OpenHavenError):
    code = "not_found"
    http_status = 404
    exit_code = ExitCode.NOT_FOUND


class PermissionDenied(OpenHavenError):
    code = "permission_denied"
    http_status = 403
    exit_code = ExitCode.DENIED


class Conflict(OpenHavenError):
    """The action clashes with the current state (e.g. approving a closed project)."""

    code = "conflict"
    http_status = 409
    exit_code = ExitCode.CONFLICT


class ConfigurationError(OpenHavenError):
    """The haven is missing or misconfigured (no home folder, no key, bad database URL)."""

    code = "configuration"
    http_status = 500
    exit_code = ExitCode.CONFIGURATION


class SafeguardRefused(OpenHavenError):
    """A safeguard refused to go on (privacy model missed, output check failed)."""

    code = "safeguard_refused"
    http_status = 409
    exit_code = ExitCode.DENIED
