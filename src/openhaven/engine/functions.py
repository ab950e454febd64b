"""Python functions the engine can call from SQL, registered by name.

A domain package registers a vectorised function (Arrow arrays in, one Arrow array out) with
``register_scalar_function``; every in-memory session opened afterwards (the extract
builder's) can call it by that name in SQL. This is how work that SQL cannot express
(free-text de-identification) still runs inside the engine's plan, a batch of rows at a
time, without the domain importing the engine's library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class ScalarFunction:
    name: str
    #: called with one Arrow array per parameter (NULLs included); returns one Arrow array
    function: Callable[..., pa.Array | pa.ChunkedArray]
    #: SQL type of each parameter, e.g. "VARCHAR", "BIGINT", "STRUCT(a VARCHAR, b DATE)"
    parameters: tuple[str, ...]
    returns: str


_FUNCTIONS: dict[str, ScalarFunction] = {}


def register_scalar_function(
    name: str,
    function: Callable[..., pa.Array | pa.ChunkedArray],
    parameters: Sequence[str],
    returns: str,
) -> None:
    """Make ``function`` callable as ``name(...)`` in every in-memory session opened from
    now on (the sessions that build extracts)."""
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a valid function name")
    if name in _FUNCTIONS:
        raise ValueError(f"function {name!r} is already registered")
    _FUNCTIONS[name] = ScalarFunction(name, function, tuple(parameters), returns)


def registered_functions() -> list[str]:
    return sorted(_FUNCTIONS)


def install_functions(connection: Any) -> None:
    """Register every function on a new in-memory connection (called by ``open_session``).

    Only in-memory sessions get them: connections to one database file in one process share
    that database's catalog, where a second registration of the same name is refused.
    """
    for spec in _FUNCTIONS.values():
        connection.create_function(
            spec.name,
            spec.function,
            [duckdb.sqltype(p) for p in spec.parameters],
            duckdb.sqltype(spec.returns),
            type="arrow",
            null_handling="special",
        )
