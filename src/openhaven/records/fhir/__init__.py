"""FHIR R4 in and out: bundles and bulk NDJSON from and to the record model.

``write_bundles`` and ``write_ndjson`` write a population; ``FhirReader`` reads bundles,
single resources and NDJSON into the ingest staging area (use
``openhaven.records.ingest.ingest_paths`` to load files into the store).
"""

from openhaven.records.fhir.reader import FhirReader
from openhaven.records.fhir.writer import write_bundles, write_ndjson

__all__ = ["FhirReader", "write_bundles", "write_ndjson"]
