"""The schema of a project's extract, derived from its dataset specification alone.

Dummy data must have exactly the columns and types the real extract will have, without
anyone opening the extract: each table's columns are rendered through the same
transformation registry that provisioning uses and the rendered SQL is planned by the
engine over *empty* tables of the record model, so a renamed column (``date_of_birth`` to
``date_of_birth_year``) or a generalised one (``postcode`` to ``postcode_district``) comes
out with the same name and type here as in the real extract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from openhaven.engine import open_session
from openhaven.provisioning.reference.tables import install_reference_tables
from openhaven.provisioning.specification import DatasetSpecification
from openhaven.provisioning.transformations import PSEUDONYM_COLUMN, render_column
from openhaven.records.schema import TABLES_BY_NAME, Column, ColumnType

_STRING = pa.string()


@dataclass(frozen=True)
class ExtractColumn:
    name: str
    type: ColumnType
    #: The record-model column it comes from, and the transformation applied to it.
    source: Column
    transformation: str
    #: The engine's exact type (e.g. a 32-bit year), so dummy tables match the real ones.
    arrow: pa.DataType = _STRING


def extract_schema(
    specification: DatasetSpecification, reference_date: dt.date | None = None
) -> dict[str, list[ExtractColumn]]:
    """Table name → the extract's columns in order, with their types."""
    reference_date = reference_date or dt.date.today()
    schema: dict[str, list[ExtractColumn]] = {}
    with open_session(None) as session:
        install_reference_tables(session)  # what the look-up operators join against
        session.register("_pseudonyms", pa.table({
            "patient_id": pa.array([], pa.string()), PSEUDONYM_COLUMN: pa.array([], pa.string()),
        }))
        for table_name, columns in specification.tables.items():
            table = TABLES_BY_NAME[table_name]
            session.register(f"_empty_{table_name}", table.arrow_schema().empty_table())
            selected: list[tuple[str, str, Column, str]] = []
            for column in table.columns:
                operator = columns.get(column.name, "drop")
                rendered = render_column(operator, f"t.{column.name}", column, reference_date)
                if rendered is not None:
                    selected.append((*rendered, column, operator))
            planned = session.query(
                f"SELECT {', '.join(f'{e} AS {n}' for n, e, _c, _o in selected)} "
                f"FROM _empty_{table_name} t JOIN _pseudonyms USING (patient_id) LIMIT 0"
            ).schema
            schema[table_name] = [
                ExtractColumn(name, _column_type(planned.field(name).type), column, operator,
                              planned.field(name).type)
                for name, _e, column, operator in selected
            ]
    return schema


def _column_type(arrow: pa.DataType) -> ColumnType:
    if pa.types.is_integer(arrow):
        return ColumnType.INTEGER
    if pa.types.is_floating(arrow) or pa.types.is_decimal(arrow):
        return ColumnType.DOUBLE
    if pa.types.is_date(arrow) or pa.types.is_timestamp(arrow):
        return ColumnType.DATE
    return ColumnType.STRING
