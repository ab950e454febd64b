"""The ``deidentify_text`` operator: free text de-identified inside the extract build.

Transformations render SQL, so the de-identifier (``openhaven.textdeid``) runs as a
vectorised function the engine calls a batch of rows at a time. Its arguments are the text,
the note's own patient's identifiers (looked up in the record store's patients table, so
record-aware recognition removes that patient even where patterns and name lists miss) and,
with ``deidentify_text:N``, the patient's date offset computed exactly as ``date_shift:N``
computes it, so dates in the text move with the extract's shifted date columns. Without
``:N`` dates become ``[DATE]``.

The specification refuses this operator unless the approved request allows de-identified
free text (``free_text: deidentified``); see ``specification.check_identifiability``.
"""

from __future__ import annotations

import pyarrow as pa

from openhaven.engine import register_scalar_function
from openhaven.provisioning.transformations import (
    MAX_SHIFT_DAYS,
    SHIFT_COLUMN,
    STRINGS,
    RenderContext,
    Transformation,
    register_transformation,
)
from openhaven.records.schema import Column
from openhaven.textdeid import PatientIdentifiers, deidentify_many

OPERATOR = "deidentify_text"
FUNCTION = "openhaven_deidentify_text"
#: the patients-table columns passed to the de-identifier, in this order
PATIENT_FIELDS = ("given_name", "family_name", "nhs_number", "date_of_birth", "address_line",
                  "postcode", "phone")
_PATIENT_TYPE = (
    "STRUCT(given_name VARCHAR, family_name VARCHAR, nhs_number VARCHAR, date_of_birth DATE, "
    "address_line VARCHAR, postcode VARCHAR, phone VARCHAR)"
)


def _column(texts: pa.Array | pa.ChunkedArray, patients: pa.Array | pa.ChunkedArray,
            shifts: pa.Array | pa.ChunkedArray) -> pa.Array:
    people = [None if row is None else PatientIdentifiers.from_mapping(row)
              for row in patients.to_pylist()]
    return pa.array(deidentify_many(texts.to_pylist(), people, shifts.to_pylist()), pa.string())


def shift_expression(days: int) -> str:
    """The patient's offset in days, the same expression ``date_shift:days`` adds."""
    return f"(CAST(_pseudonyms.{SHIFT_COLUMN} AS BIGINT) % {2 * days + 1} - {days})"


def _render(expression: str, column: Column, context: RenderContext) -> tuple[str, str]:
    patient = (
        "(SELECT struct_pack("
        + ", ".join(f"{name} := p.{name}" for name in PATIENT_FIELDS)
        + ") FROM src.patients p WHERE p.patient_id = t.patient_id)"
    )
    shift = ("CAST(NULL AS BIGINT)" if context.argument is None
             else shift_expression(int(context.argument)))
    return column.name, f"{FUNCTION}({expression}, {patient}, {shift})"


def _check(argument: str | None) -> str | None:
    if argument is None:
        return None
    if not argument.isdigit() or not 0 < int(argument) <= MAX_SHIFT_DAYS:
        return (f"takes the date_shift window in days, a whole number from 1 to "
                f"{MAX_SHIFT_DAYS} (e.g. ':182'), or nothing")
    return None


register_scalar_function(FUNCTION, _column, ("VARCHAR", _PATIENT_TYPE, "BIGINT"), "VARCHAR")
register_transformation(Transformation(
    OPERATOR,
    "Free text with identifiers replaced by typed placeholders ([NAME], [NHS_NUMBER], "
    "[DATE]...), the note's own patient found from their record; with ':N', dates are moved "
    "by the patient's date_shift:N offset instead. Needs the approval to allow de-identified "
    "free text (free_text: deidentified).",
    STRINGS, _render, _check,
))
