"""Ingest: read files of any registered format into the record store, safely.

``ingest_paths`` is the one entry point; ``register_format`` adds a format (the built-in
FHIR and Parquet/CSV formats register the same way). See docs/ingest.md.
"""

from openhaven.records.ingest.formats import (
    FormatReader,
    InputFormat,
    format_for,
    register_format,
    registered_formats,
    unregister_format,
)
from openhaven.records.ingest.service import IngestResult, ingest_paths
from openhaven.records.ingest.staging import Problem, Staging

__all__ = [
    "FormatReader",
    "IngestResult",
    "InputFormat",
    "Problem",
    "Staging",
    "format_for",
    "ingest_paths",
    "register_format",
    "registered_formats",
    "unregister_format",
]
