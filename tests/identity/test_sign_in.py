"""Sign-in on both engines: passwords, second factor, lockout, no enumeration, audit entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.identity import accounts, sign_in
from openhaven.identity.models import Account, SignInAttempt
from openhaven.identity.passwords import hash_password, verify_password
from openhaven.identity.second_factor import current_code
from openhaven.ledger import read_entries

PASSWORD = "a long test password"


def _account(session: Session, haven: Haven, role: str = "researcher",
             email: str = "someone@example.org") -> accounts.NewAccount:
    person = governance.register_person(session, haven, display_name="Some One", email=email,
                                        roles=[role], organisation=None, actor="test")
    return accounts.create_account(session, haven, person, password=PASSWORD, actor="test")


def test_passwords_are_argon2id_and_checked() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "!")
    assert not verify_password(None, PASSWORD)
    with pytest.raises(InvalidInput, match="at least 12"):
        hash_password("short")


def test_second_factor_is_required_for_staff_not_patients(session: Session, haven: Haven) -> None:
    staff = _account(session, haven, "output_checker", "checker@example.org")
    patient = _account(session, haven, "patient", "patient@example.org")
    assert staff.totp_secret is not None and staff.account.totp_enabled
    assert patient.totp_secret is None and not patient.account.totp_enabled
    checked = sign_in.check_password(session, haven, "checker@example.org", PASSWORD)
    assert checked.account is not None and checked.needs_second_factor
    checked = sign_in.check_password(session, haven, "PATIENT@example.org ", PASSWORD)
    assert checked.account is not None and not checked.needs_second_factor


def test_a_totp_code_works_once_and_a_recovery_code_once(
    session: Session, haven: Haven
) -> None:
    made = _account(session, haven)
    account, secret = made.account, made.totp_secret
    assert secret is not None
    code = current_code(secret)
    assert sign_in.check_second_factor(session, haven, account, code) is None
    assert sign_in.check_second_factor(session, haven, account, code) == sign_in.WRONG_CODE
    codes = accounts.issue_recovery_codes(session, haven, account, actor=account.reference)
    assert len(set(codes)) == 10
    assert sign_in.check_second_factor(session, haven, account, codes[0].upper()) is None
    assert sign_in.check_second_factor(session, haven, account, codes[0]) == sign_in.WRONG_CODE


def test_five_failures_lock_the_name_even_for_the_right_password(
    session: Session, haven: Haven
) -> None:
    made = _account(session, haven)
    email = "someone@example.org"
    for _ in range(sign_in.MAX_FAILURES):
        checked = sign_in.check_password(session, haven, email, "not the password at all")
        assert checked.account is None and checked.refusal == sign_in.WRONG
    checked = sign_in.check_password(session, haven, email, PASSWORD)
    assert checked.account is None and checked.refusal == sign_in.LOCKED
    later = utc_now() + sign_in.LOCKOUT_DURATION + timedelta(seconds=1)
    checked = sign_in.check_password(session, haven, email, PASSWORD, now=later)
    assert checked.account is not None
    actions = [e.action for e in read_entries(haven)]
    assert actions.count("sign_in.failed") == sign_in.MAX_FAILURES
    assert actions.count("sign_in.locked_out") == 1
    assert "sign_in.refused_locked" in actions
    for entry in read_entries(haven):
        assert email not in str(entry) and "Some One" not in str(entry)
    locked = next(e for e in read_entries(haven) if e.action == "sign_in.locked_out")
    assert locked.subject == made.account.reference


def test_unknown_and_known_names_answer_alike(session: Session, haven: Haven) -> None:
    _account(session, haven)
    known, unknown = [], []
    for _ in range(sign_in.MAX_FAILURES + 1):
        known.append(sign_in.check_password(session, haven, "someone@example.org", "wrong pw!"))
        unknown.append(sign_in.check_password(session, haven, "nobody@example.org", "wrong pw!"))
    assert [c.refusal for c in known] == [c.refusal for c in unknown]
    assert known[-1].refusal == sign_in.LOCKED
    stored = session.scalars(select(SignInAttempt.name_digest)).all()
    assert "someone@example.org" not in stored and len(set(stored)) == 2


def test_a_disabled_account_cannot_sign_in(session: Session, haven: Haven) -> None:
    made = _account(session, haven, "patient")
    accounts.disable_account(session, haven, made.account, actor="test")
    checked = sign_in.check_password(session, haven, "someone@example.org", PASSWORD)
    assert checked.account is None and checked.refusal == sign_in.WRONG


def test_role_changes_are_audited_without_names(session: Session, haven: Haven) -> None:
    made = _account(session, haven, "patient")
    person = made.account.person
    accounts.set_roles(session, haven, person, ["researcher", "auditor"], actor="person:99")
    session.expire(person)
    assert person.role_names == {"researcher", "auditor"}
    entry = [e for e in read_entries(haven) if e.action == "person.roles_changed"][-1]
    assert entry.subject == person.reference
    assert entry.details == {"before": ["patient"], "after": ["auditor", "researcher"]}
    with pytest.raises(InvalidInput):
        accounts.set_roles(session, haven, person, ["emperor"], actor="test")


def test_password_change_ends_sessions_and_totp_reset_makes_a_new_seed(
    session: Session, haven: Haven
) -> None:
    from openhaven.identity import sessions

    made = _account(session, haven)
    started = sessions.start_session(session, made.account, stage=sessions.FULL)
    accounts.set_password(session, haven, made.account, "another long password",
                          actor="test")
    assert sessions.find_session(session, started.token) is None
    seed = accounts.reset_totp(session, haven, made.account, actor="test")
    assert seed != made.totp_secret
    assert session.get(Account, made.account.id).totp_secret == seed  # type: ignore[union-attr]
