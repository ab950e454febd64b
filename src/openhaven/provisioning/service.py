"""Provision an approved project's extract: governance checks, choices, build, record.

The pipeline order is fixed here: the project must be approved and unexpired; the patient
choices in force at the cut-off are fetched; the extract is built (choices applied first,
then pseudonyms and transformations) and written atomically; then the extract's counts,
the digest of who is in it and the choices snapshot it used are recorded, and the ledger
told. Nothing here names a patient.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices.enforcement import choices_for_project
from openhaven.core.clock import utc_now
from openhaven.core.errors import PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.ledger import record_event
from openhaven.provisioning import repository
from openhaven.provisioning.extract_builder import build_extract
from openhaven.provisioning.pseudonym import project_key
from openhaven.provisioning.specification import DatasetSpecification

RESEARCH_CHOICE = "research-and-planning"


@dataclass(frozen=True)
class ProvisioningReport:
    project: str
    version: int
    patient_count: int
    removed_by_choices: int
    row_counts: dict[str, int]
    choices_snapshot_hash: str
    patients_digest: str
    path: str
    #: choices applied and not applied, each exemption with its basis, approver and effect
    choices: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def provision_extract(
    session: Session,
    haven: Haven,
    reference: str,
    *,
    actor: str,
    cut_off: dt.datetime | None = None,
) -> ProvisioningReport:
    """Build the next version of ``reference``'s extract and record it."""
    at = cut_off or utc_now()
    project = governance.get_project(session, reference)
    if not governance.is_active(project, at):
        raise PermissionDenied(
            f"Project {reference} is not approved and in date, so no data can be provisioned"
        )
    specification = DatasetSpecification.from_dict(_as_mapping(project.dataset_specification))
    specification.check_identifiability(project.identifiability)
    applied = choices_for_project(session, haven, project, at=at)
    opted_out, snapshot = applied.withheld, applied.snapshot_hash
    previous = repository.latest_extract(session, project.id)
    version = 1 if previous is None else previous.version + 1
    destination = haven.paths.project(reference) / "extracts" / f"v{version}"
    destination.parent.mkdir(parents=True, exist_ok=True)
    build = build_extract(
        haven.paths.record_store,
        destination,
        specification=specification,
        project_key=project_key(haven.master_key(), reference),
        opted_out_nhs_numbers=opted_out,
    )
    relative = str(build.path.relative_to(haven.home))
    repository.record_extract(
        session,
        project_id=project.id,
        version=version,
        created_at=utc_now(),
        cut_off=at,
        path=relative,
        patient_count=build.patient_count,
        row_counts=build.row_counts,
        removed_by_choices=build.removed_by_choices,
        choices_snapshot_hash=snapshot,
        patients_digest=build.patients_digest,
        status="current",
    )
    report = ProvisioningReport(
        project=reference,
        version=version,
        patient_count=build.patient_count,
        removed_by_choices=build.removed_by_choices,
        row_counts=build.row_counts,
        choices_snapshot_hash=snapshot,
        patients_digest=build.patients_digest,
        path=relative,
        choices=applied.report(),
    )
    details = report.as_dict()
    details.pop("path")
    record_event(haven, "extract.provisioned", actor=actor, subject=reference, details=details)
    return report


def _as_mapping(stored: Any) -> dict[str, Any]:
    """The specification as stored on the project (JSON text or an already-decoded mapping)."""
    if isinstance(stored, str):
        decoded: dict[str, Any] = json.loads(stored)
        return decoded
    return dict(stored or {})
