"""A small, fixed population for the pipeline tests: enough patients to form classes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from openhaven.records.nhs_number import random_valid
from openhaven.records.store import open_store, upsert_all

MASTER = bytes(range(32))
CUT_OFF = dt.date(2026, 6, 30)
PATIENTS = 120
NHS_NUMBERS = [f"{n:010d}" for n in random_valid(np.random.default_rng(7), PATIENTS)]


def write_population(path: Path) -> Path:
    """120 patients; everyone has two conditions (ICD-10) with onset dates a year apart."""
    rng = np.random.default_rng(11)
    births = [dt.date(1940, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 25000,
                                                                                    PATIENTS)]
    patients = pa.table({
        "patient_id": [f"p{i:03d}" for i in range(PATIENTS)],
        "nhs_number": NHS_NUMBERS,
        "given_name": [f"Name{i}" for i in range(PATIENTS)],
        "family_name": [f"Family{i}" for i in range(PATIENTS)],
        "date_of_birth": births,
        "sex": [("female", "male")[int(x)] for x in rng.integers(0, 2, PATIENTS)],
        "ethnicity": [("A", "B", "C", "M")[int(x)] for x in rng.integers(0, 4, PATIENTS)],
        "postcode": [("LS1 4AP", "LS6 2AB", "M1 1AE", "M14 5RT", "SW1A 1AA")[int(x)]
                     for x in rng.integers(0, 5, PATIENTS)],
        "phone": [f"0113 496 0{i:03d}" for i in range(PATIENTS)],
    })
    codes = ("E11.9", "I10", "J45.0", "E10.1")
    onsets = [dt.date(2015, 1, 1) + dt.timedelta(days=int(d)) for d in
              rng.integers(0, 3000, PATIENTS)]
    conditions = pa.table({
        "condition_id": [f"c{i:03d}{j}" for i in range(PATIENTS) for j in range(2)],
        "patient_id": [f"p{i:03d}" for i in range(PATIENTS) for _ in range(2)],
        "code_system": ["icd10"] * (2 * PATIENTS),
        "code": [codes[(i + j) % 4] for i in range(PATIENTS) for j in range(2)],
        "onset_date": [onsets[i] + dt.timedelta(days=365 * j)
                       for i in range(PATIENTS) for j in range(2)],
    })
    with open_store(path) as store:
        upsert_all(store, {"patients": patients, "conditions": conditions})
    return path


GENERALISED = {
    "tables": {
        "patients": {
            "patient_id": "pseudonymise",
            "date_of_birth": "age_band:20",
            "sex": "keep",
            "ethnicity": "keep",
            "postcode": "postcode_area",
        },
        "conditions": {
            "patient_id": "pseudonymise",
            "code_system": "keep",
            "code": "code_parent",
            "onset_date": "date_shift:30",
        },
    },
}


def approved_project(session: Any, haven: Any, specification: dict[str, Any],
                     suffix: str = "") -> Any:
    """A project created through governance, then marked approved and in date directly."""
    from openhaven.governance import service as governance
    from openhaven.governance.models import ProjectStatus

    organisation = governance.register_organisation(
        session, haven, name=f"Provisioning Trust {suffix}", kind="nhs", actor="custodian")
    lead = governance.register_person(
        session, haven, display_name="Lead", email=f"lead{suffix}@trust.nhs.uk",
        roles=["researcher"], organisation=organisation, actor="custodian")
    project = governance.create_project(
        session, haven, title="Provisioning test project", lay_summary="How data flows.",
        purpose="Health research", purpose_codes="HMB", organisation=organisation, lead=lead,
        legal_basis="UK GDPR 6(1)(e) and 9(2)(j); pseudonymised",
        identifiability="pseudonymised", commercial=False,
        dataset_specification=specification, team=[], actor="custodian")
    # governance keeps the tables of a request; the approved privacy model and cohort are set
    # here the way the committee's approval would record them
    project.dataset_specification = specification
    project.status = ProjectStatus.APPROVED
    project.approved_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    project.expires_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    session.flush()
    return project
