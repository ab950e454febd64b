"""Cohort selection: the SQL that picks a project's patients from the record store.

The criteria come from the approved specification (condition codes, an age range at the
cut-off, an onset date range for the conditions). The result still carries NHS numbers, so it
is only ever used inside the extract builder, before choices are applied and pseudonyms made.
Values reach SQL as literals built here from validated types (codes are escaped), never as
free text from a request.
"""

from __future__ import annotations

import datetime as dt

from openhaven.provisioning.specification import CohortCriteria


def cohort_sql(criteria: CohortCriteria, reference_date: dt.date) -> str:
    """``SELECT patient_id, nhs_number FROM src.patients`` limited by ``criteria``."""
    conditions: list[str] = []
    if criteria.min_age is not None or criteria.max_age is not None:
        age = f"date_sub('year', p.date_of_birth, {_date(reference_date)})"
        if criteria.min_age is not None:
            conditions.append(f"{age} >= {int(criteria.min_age)}")
        if criteria.max_age is not None:
            conditions.append(f"{age} <= {int(criteria.max_age)}")
    if criteria.condition_codes or criteria.onset_from or criteria.onset_to:
        matches: list[str] = ["c.patient_id = p.patient_id"]
        if criteria.condition_codes:
            prefixes = " OR ".join(
                f"starts_with(c.code, '{code.replace(chr(39), chr(39) * 2)}')"
                for code in criteria.condition_codes
            )
            matches.append(f"({prefixes})")
        if criteria.onset_from is not None:
            matches.append(f"c.onset_date >= {_date(criteria.onset_from)}")
        if criteria.onset_to is not None:
            matches.append(f"c.onset_date <= {_date(criteria.onset_to)}")
        conditions.append(
            f"EXISTS (SELECT 1 FROM src.conditions c WHERE {' AND '.join(matches)})"
        )
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT p.patient_id, p.nhs_number FROM src.patients p{where}"


def _date(value: dt.date) -> str:
    return f"DATE '{value.isoformat()}'"
