"""Exemptions from patients' choices, recorded on a project, and consent to a project.

An exemption is never implicit. It names the project, the choice it lifts, the basis in law
(explicit consent, anonymised data, COPI regulation 3, an overriding public interest, a
legal requirement or court order), who approved it and why, and when it holds. Provisioning
reads it through ``enforcement``; the register shows it.

Consent to a project is per patient and append-only, like a choice: the latest event in
effect at the cut-off decides. It matters only under a consent exemption, and there it
overrides an opt-out whichever was given first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices import repository
from openhaven.choices.models import ConsentValue, ExemptionBasis, ProjectConsent, ProjectExemption
from openhaven.choices.policy import load_policy
from openhaven.core.clock import utc_now
from openhaven.core.database import ensure_utc
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.ledger import patient_reference, record_event
from openhaven.records.nhs_number import why_invalid

BASIS_WORDS = {
    ExemptionBasis.CONSENT: "explicit consent of each patient to this project",
    ExemptionBasis.ANONYMISED: "data anonymised in line with the ICO anonymisation code",
    ExemptionBasis.COPI_REGULATION_3: "COPI regulation 3 (communicable disease, public health)",
    ExemptionBasis.OVERRIDING_PUBLIC_INTEREST: "an overriding public interest",
    ExemptionBasis.LEGAL_REQUIREMENT: "a legal requirement or court order",
}


def record_exemption(
    session: Session,
    haven: Haven,
    reference: str,
    *,
    choice: str,
    basis: str,
    approved_by: str,
    justification: str,
    recorded_by: str,
    valid_from: datetime | date | None = None,
    valid_until: datetime | date | None = None,
) -> ProjectExemption:
    """Record that ``choice`` does not apply to project ``reference``, on ``basis``."""
    project = governance.get_project(session, reference)
    policy = load_policy(haven)
    if policy.get(choice) is None:
        raise InvalidInput(
            f"choice must be one of this haven's choices: {', '.join(policy.names)}",
            Location(field="choice"),
        )
    try:
        member = ExemptionBasis(basis)
    except ValueError:
        allowed = ", ".join(b.value for b in ExemptionBasis)
        raise InvalidInput(f"basis must be one of: {allowed}", Location(field="basis")) from None
    for field, text in (("approved_by", approved_by), ("justification", justification),
                        ("recorded_by", recorded_by)):
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput(f"{field} is required for an exemption", Location(field=field))
    if len(approved_by) > 200 or len(recorded_by) > 200:
        raise InvalidInput("approved_by and recorded_by take at most 200 characters",
                           Location(field="approved_by"))
    start = ensure_utc(valid_from) if valid_from is not None else utc_now()
    end = ensure_utc(valid_until) if valid_until is not None else None
    if end is not None and end <= start:
        raise InvalidInput("valid_until must be after valid_from", Location(field="valid_until"))
    exemption = ProjectExemption(
        project_id=project.id, choice=choice, basis=member, approved_by=approved_by.strip(),
        justification=justification.strip(), recorded_by=recorded_by.strip(),
        recorded_at=utc_now(), valid_from=start, valid_until=end,
    )
    repository.add_row(session, exemption)
    record_event(
        haven, "choices.exemption_recorded", actor=recorded_by, subject=reference,
        details={"exemption": exemption.id, **exemption_summary(exemption)},
    )
    return exemption


def exemptions_for_project(
    session: Session, project_id: int, *, at: datetime | None = None
) -> list[ProjectExemption]:
    """The project's exemptions; only those holding at ``at`` when it is given."""
    return repository.exemptions_for_project(
        session, project_id, at=ensure_utc(at) if at is not None else None
    )


def exemption_summary(exemption: ProjectExemption) -> dict[str, Any]:
    """The public face of an exemption, as the register and reports show it."""
    return {
        "choice": exemption.choice,
        "basis": str(exemption.basis),
        "basis_in_words": BASIS_WORDS[exemption.basis],
        "approved_by": exemption.approved_by,
        "valid_from": exemption.valid_from.isoformat(),
        "valid_until": exemption.valid_until.isoformat() if exemption.valid_until else None,
    }


def record_project_consent(
    session: Session,
    haven: Haven,
    reference: str,
    *,
    nhs_number: str,
    value: str = ConsentValue.GIVEN.value,
    recorded_by: str,
    effective_at: datetime | date | None = None,
) -> ProjectConsent:
    """Record a patient's explicit consent to a project (or its withdrawal)."""
    project = governance.get_project(session, reference)
    reason = why_invalid(nhs_number)
    if reason is not None:
        raise InvalidInput(f"The NHS number is not valid: {reason}", Location(field="nhs_number"))
    try:
        member = ConsentValue(value)
    except ValueError:
        raise InvalidInput("value must be given or withdrawn", Location(field="value")) from None
    if not recorded_by or not recorded_by.strip():
        raise InvalidInput("recorded_by is required", Location(field="recorded_by"))
    now = utc_now()
    consent = ProjectConsent(
        project_id=project.id, nhs_number=nhs_number, value=member,
        recorded_by=recorded_by.strip(), recorded_at=now,
        effective_at=ensure_utc(effective_at) if effective_at is not None else now,
    )
    repository.add_row(session, consent)
    record_event(
        haven, "choices.project_consent_recorded", actor=recorded_by, subject=reference,
        details={"consent": consent.id, "value": str(member),
                 "patient": patient_reference(haven, nhs_number)},
    )
    return consent


def consenting_nhs_numbers(session: Session, project_id: int, *, at: datetime) -> set[str]:
    """Patients whose latest consent event for the project in effect at ``at`` is a consent."""
    return repository.consenting_at(session, project_id, at=ensure_utc(at))


def bases(exemptions: Sequence[ProjectExemption], choice: str) -> set[ExemptionBasis]:
    return {e.basis for e in exemptions if e.choice == choice}
