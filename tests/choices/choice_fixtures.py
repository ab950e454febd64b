"""Helpers for the choices tests: small record stores and approved projects.

Projects are created through the governance service and then marked approved and in date
directly: how a committee approves is governance's subject, not this one's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy.orm import Session

from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.models import Project, ProjectStatus
from openhaven.provisioning.specification import DEMO_SPECIFICATION
from openhaven.records.nhs_number import random_valid
from openhaven.records.store import open_store, upsert_all

POOL = [f"{n:010d}" for n in random_valid(np.random.default_rng(2026), 12)]
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def write_store(
    path: Path,
    nhs_numbers: Sequence[str | None],
    *,
    births: Sequence[dt.date] | None = None,
    deaths: Sequence[dt.date | None] | None = None,
) -> Path:
    """A record store holding one patient per NHS number (None: a patient without one)."""
    count = len(nhs_numbers)
    patients = pa.table({
        "patient_id": [f"p{i}" for i in range(count)],
        "nhs_number": pa.array(list(nhs_numbers), pa.string()),
        "date_of_birth": list(births or [dt.date(1970 + i, 1, 2) for i in range(count)]),
        "sex": ["female" if i % 2 else "male" for i in range(count)],
        "date_of_death": pa.array(list(deaths or [None] * count), pa.date32()),
    })
    conditions = pa.table({
        "condition_id": [f"c{i}" for i in range(count)],
        "patient_id": [f"p{i}" for i in range(count)],
        "code_system": ["snomed"] * count,
        "code": ["38341003"] * count,
        "onset_date": [dt.date(2020, 5, 17)] * count,
    })
    with open_store(path) as store:
        upsert_all(store, {"patients": patients, "conditions": conditions})
    return path


def approved_project(
    session: Session,
    haven: Haven,
    *,
    purpose_codes: str = "HMB",
    commercial: bool = False,
    suffix: str = "",
) -> Project:
    organisation = governance.register_organisation(
        session, haven, name=f"Choices Trust {suffix}", kind="nhs", actor="custodian"
    )
    lead = governance.register_person(
        session, haven, display_name="Lead", email=f"lead{suffix}@trust.nhs.uk",
        roles=["researcher"], organisation=organisation, actor="custodian",
    )
    project = governance.create_project(
        session, haven, title="Choices test project", lay_summary="How choices apply.",
        purpose="Health research", purpose_codes=purpose_codes, organisation=organisation,
        lead=lead, legal_basis="UK GDPR 6(1)(e) and 9(2)(j); pseudonymised",
        identifiability="pseudonymised", commercial=commercial,
        dataset_specification=DEMO_SPECIFICATION, team=[], actor="custodian",
    )
    project.status = ProjectStatus.APPROVED
    project.approved_at = START - dt.timedelta(days=400)
    project.expires_at = START + dt.timedelta(days=4000)
    session.flush()
    return project
