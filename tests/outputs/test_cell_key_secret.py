"""The haven's cell-key secret: derived from its master key, never a default."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from openhaven.core.config import MASTER_KEY_ENV
from openhaven.core.errors import ConfigurationError
from openhaven.core.haven import Haven
from openhaven.outputs.cell_key_secret import cell_key_secret, derive_cell_key_secret
from openhaven.outputs.helpers import cell_key_table
from openhaven.provisioning.pseudonym import project_key


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    frame = pl.DataFrame({
        "pseudonym": [f"{i:024x}" for i in range(400)],
        "region": [["north", "south", "east"][i % 3] for i in range(400)],
        "sex": [["f", "m"][i % 2 if i % 7 else 0] for i in range(400)],
    })
    frame.write_parquet(tmp_path / "cohort.parquet")
    return tmp_path / "cohort.parquet"


def table(haven: Haven, data: Path) -> list[list[int]]:
    return cell_key_table(data, "region", "sex", id_column="pseudonym", haven=haven)["counts"]


def test_the_same_haven_always_gives_the_same_perturbation(tmp_path: Path,
                                                         cohort: Path) -> None:
    haven = Haven.open(tmp_path / "haven")
    first = table(haven, cohort)
    assert table(Haven.open(tmp_path / "haven"), cohort) == first
    result = cell_key_table(cohort, "region", "sex", id_column="pseudonym", haven=haven)
    assert result["controls"][0]["control"] == "cell-key"
    assert "pseudonym" not in str(result["rows"] + result["cols"])


def test_another_master_key_gives_other_noise(tmp_path: Path, cohort: Path) -> None:
    one, other = Haven.open(tmp_path / "one"), Haven.open(tmp_path / "other")
    assert cell_key_secret(one) != cell_key_secret(other)
    assert table(one, cohort) != table(other, cohort)


def test_the_secret_comes_from_the_master_key_by_its_own_label(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    master = bytes(range(32))
    monkeypatch.setenv(MASTER_KEY_ENV, master.hex())
    haven = Haven.open(tmp_path / "haven")
    secret = cell_key_secret(haven)
    assert secret == derive_cell_key_secret(master) and len(secret) == 32
    assert secret != master and secret != project_key(master, "P-1")
    assert secret.hex() not in "".join(
        p.read_text(errors="ignore") for p in (tmp_path / "haven").rglob("*") if p.is_file())


def test_no_master_key_is_a_configuration_error_not_a_default(tmp_path: Path,
                                                              cohort: Path) -> None:
    Haven.open(tmp_path / "haven")
    shutil.rmtree(tmp_path / "haven" / "keys")
    (tmp_path / "haven" / "keys").mkdir()
    assert MASTER_KEY_ENV not in os.environ
    haven = Haven.open(tmp_path / "haven", create=False)
    with pytest.raises(ConfigurationError, match="master key"):
        cell_key_secret(haven)
    with pytest.raises(ConfigurationError, match="master key"):
        table(haven, cohort)


def test_the_cell_key_command_uses_the_havens_secret(tmp_path: Path, cohort: Path) -> None:
    import json

    from typer.testing import CliRunner

    from openhaven.cli.main import app

    home = tmp_path / "haven"
    runner = CliRunner()
    arguments = ["outputs", "cell-key", str(cohort), "--row", "region", "--col", "sex",
                 "--home", str(home), "--json"]
    first = runner.invoke(app, arguments)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["counts"] == table(Haven.open(home), cohort)
    assert runner.invoke(app, arguments).stdout == first.stdout
    assert not any(f"{i:024x}" in first.stdout for i in range(400))  # no record key shown
    missing = runner.invoke(app, [*arguments[:3], "--row", "nowhere", *arguments[5:]])
    assert missing.exit_code != 0
    assert json.loads(missing.stdout)["error"]["location"]["field"] == "row"
