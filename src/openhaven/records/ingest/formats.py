"""The registry of input formats: how ingest knows which reader takes which file.

A format says which files it claims (``detect``) and how to open a reader that stages
them. The built-in formats (FHIR Bundle JSON, FHIR NDJSON, the project's Parquet/CSV
table layout) register through ``register_format`` exactly as a third party's would; they
are registered the first time the registry is consulted, so importing this module stays
cheap and free of cycles.

Formats with the same ``reader_group`` share one reader per ingest call, so that, for
example, an NDJSON file can reference a resource in a Bundle read in the same call.
Detection tries the most recently registered format first: a later registration can
claim files ahead of a built-in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from openhaven.records.ingest.staging import Staging


class FormatReader(Protocol):
    """Stages the files of one format (or one reader group) for one ingest call."""

    def read(self, path: Path, name: str) -> None:
        """Stage the rows of ``path``; ``name`` is how problems and reports name the file."""

    def finish(self) -> None:
        """Called once after the last file: resolve anything that spanned files."""


@dataclass(frozen=True)
class InputFormat:
    name: str
    description: str
    detect: Callable[[Path], bool]
    open_reader: Callable[[Staging], FormatReader]
    reader_group: str


_formats: dict[str, InputFormat] = {}
_lock = threading.Lock()
_builtins_loaded = False


def register_format(
    name: str,
    *,
    detect: Callable[[Path], bool],
    open_reader: Callable[[Staging], FormatReader],
    description: str = "",
    reader_group: str | None = None,
) -> InputFormat:
    """Add (or replace) an input format; returns it."""
    _load_builtins()
    entry = InputFormat(name, description, detect, open_reader, reader_group or name)
    with _lock:
        _formats.pop(name, None)
        _formats[name] = entry
    return entry


def unregister_format(name: str) -> None:
    with _lock:
        _formats.pop(name, None)


def registered_formats() -> list[InputFormat]:
    """Every format, most recently registered first (the order detection uses)."""
    _load_builtins()
    with _lock:
        return list(reversed(_formats.values()))


def format_for(path: Path) -> InputFormat | None:
    """The format that claims ``path``, or None."""
    for candidate in registered_formats():
        if candidate.detect(path):
            return candidate
    return None


def _load_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    from openhaven.records.ingest import builtin_formats

    builtin_formats.register_builtins()
