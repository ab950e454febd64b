"""Setting and withdrawing a choice for one patient: who may, and what follows.

The checks before an event is written, in order:

* the choice is one the haven's policy offers;
* whoever acts may act: the patient from age 13; for a child under 13, only a proxy with
  parental responsibility; for an adult lacking capacity, a lasting power of attorney or a
  court-appointed deputy. The date of birth comes from the record store; a patient the
  store does not hold cannot be checked, so the choice is refused (bulk files from GP
  systems and the national service, already checked at source, go through ``importing``);
  staff recording from paper or the phone may record for a patient the store does not
  hold (``require_known_patient=False``), unchecked;
* death does not end a choice, and a choice can still be recorded for a patient who died
  (by a proxy), so it persists.

After the event is written, extracts whose snapshot no longer holds are marked stale.
The confirmation reference (``CH-`` and the event id) is what the patient is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices import service
from openhaven.choices.models import ActingAs, ChoiceEvent, ChoiceValue
from openhaven.choices.policy import load_policy
from openhaven.choices.staleness import flag_stale_extracts
from openhaven.choices.summary import SPELLING
from openhaven.core.clock import utc_now
from openhaven.core.errors import InvalidInput, Location, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.records.nhs_number import why_invalid
from openhaven.records.store import open_store

SELF_FROM_AGE = 13
ADULT_AGE = 18
PROXIES_FOR_ADULTS = frozenset({ActingAs.LASTING_POWER_OF_ATTORNEY,
                                ActingAs.COURT_APPOINTED_DEPUTY})


@dataclass(frozen=True)
class Confirmation:
    reference: str
    choice: str
    state: str
    effective_at: str
    stale_extracts: int
    #: whether who may set it was checked against the patient's age in the record store
    age_checked: bool = True

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def confirmation_reference(event: ChoiceEvent) -> str:
    return f"CH-{event.id:08d}"


def set_choice(
    session: Session,
    haven: Haven,
    *,
    nhs_number: str,
    choice: str | None = None,
    opt_out: bool = True,
    channel: str,
    recorded_by: str,
    acting_as: str = ActingAs.SELF.value,
    effective_at: datetime | date | str | None = None,
    check_who_may_set: bool = True,
    require_known_patient: bool = True,
) -> Confirmation:
    """Record an opt-out (or, with ``opt_out=False``, its withdrawal) after every check."""
    policy = load_policy(haven)
    chosen = choice or policy.default_choice
    if policy.get(chosen) is None:
        raise InvalidInput(
            f"choice must be one of this haven's choices: {', '.join(policy.names)}",
            Location(field="choice"),
        )
    reason = why_invalid(nhs_number)
    if reason is not None:
        raise InvalidInput(f"The NHS number is not valid: {reason}", Location(field="nhs_number"))
    age_checked = check_who_may_set and check_who_may_act(
        haven, nhs_number, acting_as, require_known=require_known_patient)
    event = service.record_choice(
        session, haven, nhs_number=nhs_number, choice=chosen,
        value=(ChoiceValue.OPT_OUT if opt_out else ChoiceValue.WITHDRAW).value,
        channel=channel, recorded_by=recorded_by, acting_as=acting_as,
        effective_at=effective_at,
    )
    stale = flag_stale_extracts(session, haven, actor=recorded_by)
    return Confirmation(
        reference=confirmation_reference(event),
        choice=event.choice,
        state=SPELLING[service.state_of(event.value)],
        effective_at=event.effective_at.isoformat(),
        stale_extracts=len(stale),
        age_checked=age_checked,
    )


def check_who_may_act(
    haven: Haven, nhs_number: str, acting_as: str, *, on: date | None = None,
    require_known: bool = True,
) -> bool:
    """Refuse, saying why, when ``acting_as`` may not set this patient's choice.

    With ``require_known=False`` (staff recording from paper or phone) a patient the record
    store does not hold is let through unchecked, since their age cannot be known here;
    the answer says whether the check was made.
    """
    try:
        role = ActingAs(acting_as)
    except ValueError:
        allowed = ", ".join(member.value for member in ActingAs)
        raise InvalidInput(f"acting_as must be one of: {allowed}",
                           Location(field="acting_as")) from None
    born = date_of_birth(haven, nhs_number)
    if born is None and not require_known:
        return False
    if born is None:
        raise PermissionDenied(
            "The patient's date of birth is not in the record store, so who may set this "
            "choice cannot be checked; record it from a GP or national file instead"
        )
    age = age_on(born, on or utc_now().date())
    if role == ActingAs.SELF and age < SELF_FROM_AGE:
        raise PermissionDenied(
            f"Patients under {SELF_FROM_AGE} cannot set this choice themselves: a person "
            "with parental responsibility must"
        )
    if role == ActingAs.PARENTAL_RESPONSIBILITY and age >= SELF_FROM_AGE:
        raise PermissionDenied(
            f"From age {SELF_FROM_AGE} patients set this choice themselves; parental "
            "responsibility does not extend to it"
        )
    if role in PROXIES_FOR_ADULTS and age < ADULT_AGE:
        raise PermissionDenied(
            "A lasting power of attorney or court-appointed deputy acts only for an adult "
            "lacking capacity"
        )
    return True


def date_of_birth(haven: Haven, nhs_number: str) -> date | None:
    """The patient's date of birth from the record store, or None if it does not hold them."""
    path = haven.paths.record_store
    if not path.exists():
        return None
    with open_store(path, read_only=True) as store:
        found = store.query(
            "SELECT date_of_birth FROM patients WHERE nhs_number = ? LIMIT 1", [nhs_number]
        )
    if found.num_rows == 0:
        return None
    value = found.column("date_of_birth")[0].as_py()
    return value if isinstance(value, date) else None


def age_on(born: date, day: date) -> int:
    years = day.year - born.year
    return years - (1 if (day.month, day.day) < (born.month, born.day) else 0)
