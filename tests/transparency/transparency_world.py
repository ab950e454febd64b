"""A small haven for the transparency tests: six patients, two approved projects, one
opt-out, both projects provisioned — all through the real services, in the haven's own
governance database so the web app and the CLI see the same records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from sqlalchemy.orm import Session

from openhaven.choices.recording import set_choice
from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.models import DataSharingAgreement, Project, ProjectStatus
from openhaven.provisioning.service import provision_extract
from openhaven.provisioning.specification import DEMO_SPECIFICATION
from openhaven.records.nhs_number import random_valid
from openhaven.records.store import open_store, upsert_all

NUMBERS = [f"{n:010d}" for n in random_valid(np.random.default_rng(909), 6)]
OPTED_OUT = NUMBERS[1]
NOW = dt.datetime.now(dt.UTC)


@dataclass
class World:
    haven: Haven
    references: list[str]


def write_store(haven: Haven) -> None:
    count = len(NUMBERS)
    patients = pa.table({
        "patient_id": [f"p{i}" for i in range(count)],
        "nhs_number": pa.array(NUMBERS, pa.string()),
        "date_of_birth": [dt.date(1950 + 7 * i, 3, 14) for i in range(count)],
        "sex": ["female" if i % 2 else "male" for i in range(count)],
        "postcode": ["LS1 4AP"] * count,
    })
    conditions = pa.table({
        "condition_id": [f"c{i}" for i in range(count)],
        "patient_id": [f"p{i}" for i in range(count)],
        "code_system": ["snomed"] * count,
        "code": ["38341003"] * count,
        "onset_date": [dt.date(2020, 5, 17)] * count,
    })
    haven.paths.records.mkdir(parents=True, exist_ok=True)
    with open_store(haven.paths.record_store) as store:
        upsert_all(store, {"patients": patients, "conditions": conditions})


def approved_project(session: Session, haven: Haven, n: int, *, commercial: bool) -> Project:
    organisation = governance.register_organisation(
        session, haven, name=f"Transparency Org {n}",
        kind="commercial" if commercial else "nhs", actor="custodian")
    lead = governance.register_person(
        session, haven, display_name=f"Lead {n}", email=f"lead{n}@example.org",
        roles=["researcher"], organisation=organisation, actor="custodian")
    project = governance.create_project(
        session, haven, title=f"Study {n}", lay_summary=f"What study {n} is for.",
        purpose="Health research", purpose_codes="HMB", organisation=organisation, lead=lead,
        legal_basis="UK GDPR 6(1)(e) and 9(2)(j); pseudonymised", identifiability="pseudonymised",
        commercial=commercial, dataset_specification=DEMO_SPECIFICATION, team=[],
        actor="custodian")
    project.status = ProjectStatus.APPROVED
    project.approved_at = NOW - dt.timedelta(days=30)
    project.expires_at = NOW + dt.timedelta(days=300)
    session.add(DataSharingAgreement(project=project, request_id=project.requests[0].id,
                                     starts_at=NOW - dt.timedelta(days=30),
                                     ends_at=NOW + dt.timedelta(days=300)))
    session.flush()
    return project


def build_world(haven: Haven) -> World:
    """Records, two provisioned projects (one commercial), one patient opted out."""
    write_store(haven)
    engine = make_engine(haven.settings.database_url)
    try:
        migrate(engine)
        with unit_of_work(engine) as session:
            set_choice(session, haven, nhs_number=OPTED_OUT, channel="web",
                       recorded_by="custodian", effective_at=NOW - dt.timedelta(days=60),
                       require_known_patient=False)
            references = []
            for n, commercial in ((1, False), (2, True)):
                project = approved_project(session, haven, n, commercial=commercial)
                provision_extract(session, haven, project.reference, actor="custodian")
                references.append(project.reference)
    finally:
        engine.dispose()
    return World(haven, references)
