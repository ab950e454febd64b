"""Free-text de-identification: find identifiers in clinical notes, then replace them.

Detection (``analyzer``, the recognizers in ``recognizers/``, registered in ``registry``)
and transformation (``anonymizer``) are separate and pass only spans (``findings.Finding``):
where, what kind, which recognizer, why and how sure. Given the note's own patient
(``patient.PatientIdentifiers``), the record-aware recognizer removes that patient's names,
NHS number, date of birth, address, postcode and telephone number in any layout, even where
patterns and name lists miss. See docs/text-deidentification.md.
"""

from openhaven.textdeid.findings import Finding
from openhaven.textdeid.patient import PatientIdentifiers
from openhaven.textdeid.service import Deidentified, analyse, deidentify, deidentify_many

__all__ = [
    "Deidentified",
    "Finding",
    "PatientIdentifiers",
    "analyse",
    "deidentify",
    "deidentify_many",
]
