"""Provision an approved project's extract: governance checks, choices, build, record.

The pipeline order is fixed here: the project must exist, be approved and be inside a data
sharing agreement at the cut-off (and, when a person asks, ``may_access`` must allow them);
the patient choices in force at the cut-off are fetched; the extract is built (cohort,
choices, minimum fields, transformations, privacy-model check that fails closed, atomic
write, risk report; see ``extract_builder``) under the project's current key epoch; then the
extract's counts, the digest of who is in it, the choices snapshot, the approving agreement
and the risk summary are recorded, and the ledger told. Nothing here names a patient.
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
from openhaven.governance.models import Person, Project
from openhaven.ledger import record_event
from openhaven.provisioning import repository
from openhaven.provisioning.extract_builder import build_extract
from openhaven.provisioning.key_epochs import current_project_key
from openhaven.provisioning.reference.settings import reference_files
from openhaven.provisioning.specification import DatasetSpecification
from openhaven.transparency.membership_store import record_extract_membership

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
    #: the data sharing agreement in force at the cut-off (its id), when the project has one
    agreement_id: int | None = None
    key_epoch: int = 1
    #: the privacy models applied and what suppression they needed
    privacy: dict[str, Any] = field(default_factory=dict)
    #: the re-identification risk report (class sizes, prosecutor risk, plain summary)
    risk: dict[str, Any] = field(default_factory=dict)
    #: SHA-256 of the extract's manifest: equal for byte-identical refreshes
    manifest_digest: str = ""
    #: "<table>.<column>" -> values a reference look-up (postcode_region, code_parent) did
    #: not know and wrote as NULL
    generalised_to_null: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def provision_extract(
    session: Session,
    haven: Haven,
    reference: str,
    *,
    actor: str,
    cut_off: dt.datetime | None = None,
    requested_by: Person | None = None,
) -> ProvisioningReport:
    """Build the next version of ``reference``'s extract and record it.

    ``requested_by`` is the person asking, when one is known (a researcher's refresh); they
    must pass ``governance.may_access`` for the project at the cut-off.
    """
    at = cut_off or utc_now()
    project = governance.get_project(session, reference)
    if not governance.is_active(project, at):
        raise PermissionDenied(
            f"Project {reference} is not approved and in date, so no data can be provisioned"
        )
    if requested_by is not None:
        decision = governance.may_access(session, requested_by, project, at)
        if not decision:
            raise PermissionDenied(f"No extract for {reference}: {decision.reason}")
    specification = DatasetSpecification.from_dict(_as_mapping(project.dataset_specification))
    specification.check_identifiability(project.identifiability)
    applied = choices_for_project(session, haven, project, at=at)
    opted_out, snapshot = applied.withheld, applied.snapshot_hash
    previous = repository.latest_extract(session, project.id)
    version = 1 if previous is None else previous.version + 1
    key, epoch = current_project_key(session, haven, reference)
    destination = haven.paths.project(reference) / "extracts" / f"v{version}"
    destination.parent.mkdir(parents=True, exist_ok=True)
    build = build_extract(
        haven.paths.record_store,
        destination,
        specification=specification,
        project_key=key,
        opted_out_nhs_numbers=opted_out,
        cut_off=at.date(),
        reference=reference_files(haven.home),
    )
    relative = str(build.path.relative_to(haven.home))
    extract = repository.record_extract(
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
        agreement_id=_agreement_in_force(project, at),
        key_epoch=epoch,
        privacy=build.privacy,
        risk=build.risk,
        manifest_digest=build.manifest_digest,
        generalised_to_null=build.generalised_to_null,
    )
    details = report.as_dict()
    details.pop("path")
    record_event(haven, "extract.provisioned", actor=actor, subject=reference, details=details)
    record_extract_membership(haven, extract.id, build.patient_ids)
    return report


def _agreement_in_force(project: Project, at: dt.datetime) -> int | None:
    """The id of the agreement that covers ``at`` (the approval provisioning relies on)."""
    moment = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    covering = [a for a in project.agreements if a.starts_at <= moment < a.ends_at]
    return min((a.id for a in covering), default=None)


def _as_mapping(stored: Any) -> dict[str, Any]:
    """The specification as stored on the project (JSON text or an already-decoded mapping)."""
    if isinstance(stored, str):
        decoded: dict[str, Any] = json.loads(stored)
        return decoded
    return dict(stored or {})
