"""Accounts: create, change password, reset or enrol the second factor, disable, roles.

Every change is written to the ledger naming the person as ``person:<id>`` — never a name or
an email. Changing a password, resetting the second factor or disabling an account ends the
account's sessions; disabling also revokes its API tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput, Location, NotFound
from openhaven.core.haven import Haven
from openhaven.governance.models import Person, PersonRole, Role
from openhaven.identity import repository
from openhaven.identity.models import Account, RecoveryCode
from openhaven.identity.passwords import hash_password
from openhaven.identity.policy import TOTP_REQUIRED_ROLES
from openhaven.identity.second_factor import (
    accepted_step,
    new_recovery_codes,
    new_totp_secret,
    recovery_code_digest,
)
from openhaven.ledger import record_event


@dataclass(frozen=True)
class NewAccount:
    account: Account
    #: the TOTP seed, to be shown once (None when the account has no second factor yet)
    totp_secret: str | None


def totp_required(person: Person) -> bool:
    return bool(person.role_names & TOTP_REQUIRED_ROLES)


def create_account(
    session: Session, haven: Haven, person: Person, *, password: str, actor: str,
    with_totp: bool | None = None,
) -> NewAccount:
    """Give ``person`` an account; a TOTP seed is made when their roles require one."""
    if repository.account_for_person(session, person.id) is not None:
        raise Conflict("This person already has an account", Location(field="person"))
    wants_totp = totp_required(person) if with_totp is None else with_totp
    secret = new_totp_secret() if wants_totp else None
    account = Account(
        person_id=person.id, password_hash=hash_password(password), totp_secret=secret,
        totp_enabled=wants_totp, password_changed_at=utc_now(),
    )
    repository.add(session, account)
    record_event(haven, "account.created", actor=actor, subject=account.reference,
                 details={"second_factor": wants_totp, "roles": sorted(person.role_names)})
    return NewAccount(account, secret)


def get_account(session: Session, email: str) -> Account:
    found = repository.account_by_email(session, email)
    if found is None:
        raise NotFound("No account with this email", Location(field="email"))
    return found


def list_accounts(session: Session) -> list[Account]:
    return repository.all_accounts(session)


def set_password(
    session: Session, haven: Haven, account: Account, password: str, *, actor: str
) -> None:
    account.password_hash = hash_password(password)
    account.password_changed_at = utc_now()
    _end_sessions(session, account)
    repository.save(session)
    record_event(haven, "account.password_set", actor=actor, subject=account.reference)


def reset_totp(session: Session, haven: Haven, account: Account, *, actor: str) -> str:
    """A new TOTP seed (returned, to show once); old recovery codes and sessions end."""
    secret = new_totp_secret()
    account.totp_secret = secret
    account.totp_enabled = True
    account.totp_last_step = None
    repository.delete_recovery_codes(session, account.id)
    _end_sessions(session, account)
    repository.save(session)
    record_event(haven, "account.totp_reset", actor=actor, subject=account.reference)
    return secret


def begin_totp_enrolment(session: Session, account: Account) -> str:
    """A seed for an account without a second factor; it counts once a code confirms it."""
    if account.totp_enabled:
        raise Conflict("The second factor is already on for this account")
    if account.totp_secret is None:
        account.totp_secret = new_totp_secret()
        repository.save(session)
    return account.totp_secret


def confirm_totp_enrolment(
    session: Session, haven: Haven, account: Account, code: str, *, actor: str
) -> None:
    if account.totp_enabled or account.totp_secret is None:
        raise Conflict("There is no second factor waiting to be confirmed")
    step = accepted_step(account.totp_secret, code, account.totp_last_step)
    if step is None:
        raise InvalidInput("That code is not right; check the time on your device",
                           Location(field="code"))
    account.totp_enabled = True
    account.totp_last_step = step
    repository.save(session)
    record_event(haven, "account.totp_enrolled", actor=actor, subject=account.reference)


def issue_recovery_codes(
    session: Session, haven: Haven, account: Account, *, actor: str
) -> list[str]:
    """Fresh single-use recovery codes (returned once); earlier ones stop working."""
    if not account.totp_enabled:
        raise Conflict("Turn on the second factor before making recovery codes")
    repository.delete_recovery_codes(session, account.id)
    codes = new_recovery_codes()
    repository.add(session, *[
        RecoveryCode(account_id=account.id, code_hash=recovery_code_digest(code))
        for code in codes
    ])
    record_event(haven, "account.recovery_codes_issued", actor=actor,
                 subject=account.reference, details={"count": len(codes)})
    return codes


def disable_account(session: Session, haven: Haven, account: Account, *, actor: str) -> None:
    if account.disabled_at is not None:
        raise Conflict("This account is already disabled")
    now = utc_now()
    account.disabled_at = now
    _end_sessions(session, account)
    for token in repository.tokens_of(session, account.id):
        if token.revoked_at is None:
            token.revoked_at = now
    repository.save(session)
    record_event(haven, "account.disabled", actor=actor, subject=account.reference)


def set_roles(
    session: Session, haven: Haven, person: Person, roles: Sequence[str], *, actor: str
) -> None:
    """Replace a person's roles; the change (before and after) goes to the ledger."""
    wanted: set[Role] = set()
    for role in roles:
        try:
            wanted.add(Role(role))
        except ValueError:
            raise InvalidInput("Unknown role", Location(field="roles")) from None
    before = sorted(person.role_names)
    for held in list(person.roles):
        if held.role not in wanted:
            person.roles.remove(held)
            repository.remove(session, held)
    existing = {held.role for held in person.roles}
    for role in sorted(wanted - existing):
        person.roles.append(PersonRole(role=role))
    repository.save(session)
    record_event(haven, "person.roles_changed", actor=actor, subject=person.reference,
                 details={"before": before, "after": sorted(str(r) for r in wanted)})


def _end_sessions(session: Session, account: Account) -> None:
    now = utc_now()
    for open_session in repository.open_sessions_of(session, account.id):
        open_session.ended_at = now
