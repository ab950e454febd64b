"""Engine functions: a Python function registered by name is callable from SQL in every
session opened afterwards, with NULLs passed through to it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from openhaven.engine import open_session, register_scalar_function, registered_functions
from openhaven.provisioning.text_operator import FUNCTION


def _shout(texts: pa.ChunkedArray, counts: pa.ChunkedArray) -> pa.Array:
    repeated = [None if t is None else t.upper() + "!" * (c or 0)
                for t, c in zip(texts.to_pylist(), counts.to_pylist(), strict=True)]
    return pa.array(repeated, pa.string())


def test_a_registered_function_runs_in_sql_with_nulls() -> None:
    if "test_shout" not in registered_functions():
        register_scalar_function("test_shout", _shout, ("VARCHAR", "BIGINT"), "VARCHAR")
    with open_session(None) as session:
        rows = session.query(
            "SELECT test_shout(t, n) AS s FROM (VALUES ('a', 2), (NULL, 1), ('b', NULL)) v(t, n)"
        ).column("s").to_pylist()
    assert rows == ["A!!", None, "B"]


def test_names_are_checked_and_unique() -> None:
    with pytest.raises(ValueError):
        register_scalar_function("not a name", _shout, ("VARCHAR",), "VARCHAR")
    with pytest.raises(ValueError):
        register_scalar_function(FUNCTION, _shout, ("VARCHAR",), "VARCHAR")


def test_the_deidentifier_runs_in_any_session() -> None:
    with open_session(None) as session:
        out = session.query(
            f"SELECT {FUNCTION}(text, NULL, NULL) AS t FROM (VALUES "
            "('Seen by Dr Okafor on 05/11/2024.'), (NULL)) v(text)"
        ).column("t")
    assert out.to_pylist() == ["Seen by Dr [NAME] on [DATE].", None]


def test_two_sessions_on_one_file_open_together(tmp_path: Path) -> None:
    """Connections to one file share its catalog; functions must not be registered twice."""
    path = tmp_path / "store.duckdb"
    with open_session(path) as first, open_session(path) as second:
        first.execute("CREATE TABLE t AS SELECT 1 AS x")
        assert second.scalar("SELECT count(*) FROM t") == 1
