"""Which patients a project's extract must leave out, and why: the choices as applied.

For a project and a cut-off this decides, from the haven's policy and the project's
exemptions, which choices apply, and returns the NHS numbers to withhold together with a
report that names every exemption and its effect (counts only, never who). Provisioning
calls it before any other step; the bulk check and the staleness check use it too, so
there is one rule, in one place:

* every provisioning-stage choice covering one of the project's purposes applies;
* an exemption on a basis of COPI regulation 3, an overriding public interest or a legal
  requirement lifts that choice for the project;
* an ``anonymised`` exemption lifts it only when the policy says not to honour opt-outs
  for anonymised data (default: honour them anyway);
* a ``consent`` exemption keeps opted-out patients whose consent to the project is in
  force at the cut-off, whichever came first; everyone else who opted out is withheld.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices import exemptions as exemption_store
from openhaven.choices import service
from openhaven.choices.models import ExemptionBasis
from openhaven.choices.policy import ChoicePolicy, load_policy
from openhaven.core.haven import Haven
from openhaven.governance.models import Project

LIFTING_BASES = frozenset(
    {
        ExemptionBasis.COPI_REGULATION_3,
        ExemptionBasis.OVERRIDING_PUBLIC_INTEREST,
        ExemptionBasis.LEGAL_REQUIREMENT,
    }
)


@dataclass
class ChoicesApplied:
    """The outcome for one project at one cut-off; ``withheld`` never leaves the haven."""

    withheld: list[str]
    applied: list[str]
    not_applied: list[str]
    exemptions: list[dict[str, Any]] = field(default_factory=list)
    kept_by_consent: int = 0

    @property
    def snapshot_hash(self) -> str:
        """SHA-256 of the sorted withheld NHS numbers, one a line (the empty set: of "")."""
        return snapshot_hash(self.withheld)

    def report(self) -> dict[str, Any]:
        """What the provisioning report and the ledger say: choices, exemptions, counts."""
        return {
            "applied": list(self.applied),
            "not_applied": list(self.not_applied),
            "exemptions": [dict(e) for e in self.exemptions],
            "kept_by_consent": self.kept_by_consent,
        }


def snapshot_hash(numbers: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(numbers)).encode("ascii")).hexdigest()


def choices_for_project(
    session: Session,
    haven: Haven,
    project: Project,
    *,
    at: datetime,
    policy: ChoicePolicy | None = None,
) -> ChoicesApplied:
    """The NHS numbers to withhold from ``project``'s extract with cut-off ``at``, and why."""
    policy = policy or load_policy(haven)
    purposes = policy.project_purposes(project.purpose_code_list, bool(project.commercial))
    exemptions = exemption_store.exemptions_for_project(session, project.id, at=at)
    withheld: set[str] = set()
    applied: list[str] = []
    not_applied: list[str] = []
    reported: list[dict[str, Any]] = []
    kept_by_consent = 0
    consenting: set[str] | None = None
    for choice in policy.choices_for_purposes(purposes):
        bases = exemption_store.bases(exemptions, choice)
        lifted = bool(bases & LIFTING_BASES) or (
            ExemptionBasis.ANONYMISED in bases and not policy.honour_opt_outs_for_anonymised_data
        )
        for exemption in exemptions:
            if exemption.choice == choice:
                reported.append(
                    {**exemption_store.exemption_summary(exemption),
                     "effect": _effect(exemption.basis, lifted, policy)}
                )
        if lifted:
            not_applied.append(choice)
            continue
        applied.append(choice)
        numbers = set(service.opted_out_nhs_numbers(session, choice=choice, at=at))
        if ExemptionBasis.CONSENT in bases:
            if consenting is None:
                consenting = exemption_store.consenting_nhs_numbers(session, project.id, at=at)
            kept = numbers & consenting
            kept_by_consent += len(kept - withheld)
            numbers -= kept
        withheld |= numbers
    return ChoicesApplied(
        withheld=sorted(withheld),
        applied=applied,
        not_applied=not_applied,
        exemptions=reported,
        kept_by_consent=kept_by_consent,
    )


def register_wording(session: Session, project_id: int) -> str:
    """How the register describes opt-outs for a project: applied, or the exemptions."""
    found = exemption_store.exemptions_for_project(session, project_id)
    if not found:
        return "applied"
    parts = [
        f"exemption from {e.choice}: {exemption_store.BASIS_WORDS[e.basis]} "
        f"(approved by {e.approved_by})"
        for e in found
    ]
    return "; ".join(parts)


def _effect(basis: ExemptionBasis, lifted: bool, policy: ChoicePolicy) -> str:
    if basis == ExemptionBasis.CONSENT:
        return "opted-out patients who consented to this project are kept"
    if basis == ExemptionBasis.ANONYMISED and not lifted:
        return "opt-outs honoured anyway (haven setting)"
    return "choice not applied" if lifted else "opt-outs applied"
