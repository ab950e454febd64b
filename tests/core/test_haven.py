"""The haven's folder, settings and master key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openhaven.core.config import Settings
from openhaven.core.errors import ConfigurationError, InvalidInput, Location
from openhaven.core.haven import Haven


def test_open_creates_layout_and_private_master_key(tmp_path: Path) -> None:
    haven = Haven.open(tmp_path / "h")
    for folder in ("records", "ledger", "projects", "quarantine", "keys"):
        assert (haven.home / folder).is_dir()
    key_file = haven.paths.master_key
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(haven.master_key()) == 32
    assert Haven.open(tmp_path / "h").master_key() == haven.master_key()


def test_world_readable_key_is_refused(tmp_path: Path) -> None:
    haven = Haven.open(tmp_path / "h")
    os.chmod(haven.paths.master_key, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        haven.master_key()


def test_key_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENHAVEN_MASTER_KEY", "ab" * 32)
    haven = Haven.open(tmp_path / "h")
    assert not haven.paths.master_key.exists()
    assert haven.master_key() == bytes.fromhex("ab" * 32)
    monkeypatch.setenv("OPENHAVEN_MASTER_KEY", "not hex")
    with pytest.raises(ConfigurationError):
        haven.master_key()


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENHAVEN_DATABASE_URL", raising=False)
    home = tmp_path / "h"
    home.mkdir()
    (home / "openhaven.toml").write_text('small_count_threshold = 7\ndatabase_url = "sqlite:///x"\n')
    settings = Settings.load(home)
    assert settings.small_count_threshold == 7
    assert settings.database_url == "sqlite:///x"
    monkeypatch.setenv("OPENHAVEN_DATABASE_URL", "postgresql+psycopg://u@h/d")
    assert Settings.load(home).database_url == "postgresql+psycopg://u@h/d"


def test_home_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENHAVEN_HOME", str(tmp_path / "envhome"))
    assert Settings.load().home == (tmp_path / "envhome").resolve()


def test_bad_settings_file_is_a_configuration_error(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "openhaven.toml").write_text("small_count_threshold = = 3")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        Settings.load(home)


def test_error_json_shape_is_pinned() -> None:
    error = InvalidInput("Bad date", Location(file="b.json", entry=3, field="birthDate"))
    assert error.as_dict() == {
        "error": {
            "code": "invalid_input",
            "message": "Bad date",
            "location": {"file": "b.json", "entry": 3, "field": "birthDate"},
        }
    }
    assert str(error) == "Bad date (b.json, entry 3, field birthDate)"
    assert (error.http_status, error.exit_code) == (422, 3)
