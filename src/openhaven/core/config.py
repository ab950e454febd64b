"""Settings for one haven, read from its folder and the environment.

Precedence: environment variables, then ``<home>/openhaven.toml``, then defaults. Secrets
(the master key, database passwords) come from the environment or from files with 0600
permissions inside the haven, never from the repository.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openhaven.core.errors import ConfigurationError

HOME_ENV = "OPENHAVEN_HOME"
DATABASE_URL_ENV = "OPENHAVEN_DATABASE_URL"
MASTER_KEY_ENV = "OPENHAVEN_MASTER_KEY"
SETTINGS_FILE = "openhaven.toml"
DEFAULT_HOME = Path("~/.openhaven")


@dataclass(frozen=True)
class Settings:
    """What a haven is configured to do; documented setting by setting in docs/configuration.md."""

    home: Path
    database_url: str
    small_count_threshold: int = 10
    demo_patients: int = 50_000

    @classmethod
    def load(cls, home: Path | str | None = None) -> Settings:
        resolved = resolve_home(home)
        from_file = _read_settings_file(resolved / SETTINGS_FILE)
        database_url = (
            os.environ.get(DATABASE_URL_ENV)
            or from_file.get("database_url")
            or f"sqlite:///{resolved / 'governance.sqlite'}"
        )
        threshold = int(from_file.get("small_count_threshold", 10))
        if threshold < 1:
            raise ConfigurationError("small_count_threshold must be at least 1")
        return cls(
            home=resolved,
            database_url=str(database_url),
            small_count_threshold=threshold,
            demo_patients=int(from_file.get("demo_patients", 50_000)),
        )


def resolve_home(home: Path | str | None) -> Path:
    """The haven folder: the argument, else ``OPENHAVEN_HOME``, else ``~/.openhaven``."""
    chosen = home if home is not None else os.environ.get(HOME_ENV) or DEFAULT_HOME
    return Path(chosen).expanduser().resolve()


def _read_settings_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{SETTINGS_FILE} is not valid TOML: {exc}") from None
