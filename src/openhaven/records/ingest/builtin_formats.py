"""The formats OpenHaven reads out of the box, registered like anyone else's.

* ``fhir-json``: a ``.json`` file holding a FHIR R4 Bundle or a single resource.
* ``fhir-ndjson``: a ``.ndjson`` bulk-data file, one resource per line.
* ``table-files``: ``<table>.parquet`` or ``<table>.csv`` named after a schema table.

Both FHIR formats share one reader per ingest call (``reader_group="fhir"``) so references
may cross files.
"""

from __future__ import annotations

from pathlib import Path

from openhaven.records.fhir.reader import FhirReader
from openhaven.records.ingest.formats import register_format
from openhaven.records.ingest.staging import Staging
from openhaven.records.ingest.table_files import TableFileReader, is_table_file


class FhirFileReader:
    """Adapts the FHIR reader to the registry: ``.ndjson`` as NDJSON, the rest as JSON."""

    def __init__(self, staging: Staging) -> None:
        self.reader = FhirReader(staging)

    def read(self, path: Path, name: str) -> None:
        if path.suffix.lower() == ".ndjson":
            self.reader.read_ndjson(path, name)
        else:
            self.reader.read_json(path, name)

    def finish(self) -> None:
        self.reader.finish()


def register_builtins() -> None:
    register_format(
        "table-files",
        description="<table>.parquet or <table>.csv per schema table (CSV: header, ISO dates)",
        detect=is_table_file,
        open_reader=TableFileReader,
    )
    register_format(
        "fhir-ndjson",
        description="FHIR R4 bulk-data NDJSON, one resource per line",
        detect=lambda path: path.suffix.lower() == ".ndjson",
        open_reader=FhirFileReader,
        reader_group="fhir",
    )
    register_format(
        "fhir-json",
        description="FHIR R4 Bundle (transaction, batch, collection, ...) or single resource",
        detect=lambda path: path.suffix.lower() == ".json",
        open_reader=FhirFileReader,
        reader_group="fhir",
    )
