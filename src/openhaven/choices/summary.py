"""One patient's choices as the CLI and the API show them: every choice the policy offers.

States are spelled for people: ``opted-out`` while an opt-out is in force, ``not-set``
when the patient never chose or withdrew their opt-out (the two are treated alike), each
listed for every choice in the haven's policy. The history lists every event, oldest
effect first, with who recorded it, acting as whom, through which channel, when recorded
and when effective, and its confirmation reference.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices import service
from openhaven.choices.policy import load_policy
from openhaven.core.haven import Haven

OPTED_OUT = "opted-out"
NOT_SET = "not-set"
SPELLING = {service.STATE_OPTED_OUT: OPTED_OUT, service.STATE_NOT_OPTED_OUT: NOT_SET}


def patient_choices(
    session: Session, haven: Haven, nhs_number: str, *, at: datetime | None = None
) -> dict[str, Any]:
    """``{"nhs_number", "current": {choice: state}, "history": [...]}`` for one patient."""
    policy = load_policy(haven)
    current = {name: NOT_SET for name in policy.names}
    for choice, state in service.current_state(session, nhs_number, at=at).items():
        current[choice] = SPELLING.get(state, state)
    history = [
        {**event, "state": SPELLING.get(event["state"], event["state"]),
         "reference": f"CH-{event['id']:08d}"}
        for event in service.history(session, nhs_number)
    ]
    return {"nhs_number": nhs_number, "current": current, "history": history}
