"""The haven's folder: where each store lives, and creating it on first use.

A haven is one installation. Everything it holds lives under one folder so that a custodian
can back it up, restrict it and reason about it as one thing::

    <home>/openhaven.toml        settings
    <home>/keys/master.key       the custodian's master key (0600)
    <home>/records/records.duckdb  identifiable records (custodian-only)
    <home>/governance.sqlite     governance database (embedded default)
    <home>/ledger/               the audit log
    <home>/projects/<ref>/       each project's workspace: extracts, outputs
    <home>/quarantine/           ingest reports of rejected records
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from openhaven.core.config import MASTER_KEY_ENV, SETTINGS_FILE, Settings
from openhaven.core.errors import ConfigurationError

MASTER_KEY_BYTES = 32


@dataclass(frozen=True)
class HavenPaths:
    home: Path

    @property
    def settings_file(self) -> Path:
        return self.home / SETTINGS_FILE

    @property
    def keys(self) -> Path:
        return self.home / "keys"

    @property
    def master_key(self) -> Path:
        return self.keys / "master.key"

    @property
    def records(self) -> Path:
        return self.home / "records"

    @property
    def record_store(self) -> Path:
        return self.records / "records.duckdb"

    @property
    def ledger(self) -> Path:
        return self.home / "ledger"

    @property
    def projects(self) -> Path:
        return self.home / "projects"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    def project(self, reference: str) -> Path:
        return self.projects / reference


@dataclass(frozen=True)
class Haven:
    """One installation: its settings and its folder layout."""

    settings: Settings

    @property
    def paths(self) -> HavenPaths:
        return HavenPaths(self.settings.home)

    @property
    def home(self) -> Path:
        return self.settings.home

    @classmethod
    def open(cls, home: Path | str | None = None, *, create: bool = True) -> Haven:
        """Open the haven at ``home``, creating its folders on first use."""
        settings = Settings.load(home)
        haven = cls(settings)
        if create:
            haven.ensure_layout()
        elif not settings.home.exists():
            raise ConfigurationError("No haven here yet: run `openhaven init` first.")
        return haven

    def ensure_layout(self) -> None:
        """Create the folders and the master key if they are missing; idempotent."""
        paths = self.paths
        for folder in (paths.home, paths.records, paths.ledger, paths.projects, paths.quarantine):
            folder.mkdir(parents=True, exist_ok=True)
        paths.keys.mkdir(mode=0o700, exist_ok=True)
        os.chmod(paths.home, 0o700)
        if not paths.settings_file.exists():
            paths.settings_file.write_text(
                "# OpenHaven settings; see docs/configuration.md\n"
                "small_count_threshold = 10\n",
                encoding="utf-8",
            )
        if os.environ.get(MASTER_KEY_ENV) is None and not paths.master_key.exists():
            _write_secret(paths.master_key, secrets.token_bytes(MASTER_KEY_BYTES))

    def master_key(self) -> bytes:
        """The custodian's master key, from the environment (hex) or the 0600 key file."""
        from_env = os.environ.get(MASTER_KEY_ENV)
        if from_env is not None:
            try:
                key = bytes.fromhex(from_env.strip())
            except ValueError:
                raise ConfigurationError(f"{MASTER_KEY_ENV} must be hexadecimal") from None
        else:
            path = self.paths.master_key
            if not path.exists():
                raise ConfigurationError("The haven has no master key: run `openhaven init`.")
            if path.stat().st_mode & 0o077:
                raise ConfigurationError(
                    "The master key file must be readable by its owner only (chmod 600)."
                )
            key = path.read_bytes()
        if len(key) < MASTER_KEY_BYTES:
            raise ConfigurationError(f"The master key must be at least {MASTER_KEY_BYTES} bytes.")
        return key


def _write_secret(path: Path, data: bytes) -> None:
    """Write a secret file created 0600 from the start, never world-readable even briefly."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
