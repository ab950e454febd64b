"""Demo accounts: one per role, with a fixed demo password and TOTP seeds shown once.

Only the demo makes these. The password is the same for every demo account and is printed
in the README; the TOTP seeds are random per demo haven, printed once when the demo runs
and written to ``<home>/demo-accounts.txt`` (readable by its owner only) so that the person
trying the demo can add them to an authenticator app.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.models import Role
from openhaven.identity import accounts
from openhaven.identity.second_factor import provisioning_uri

#: The demo password for every demo account: for the demo only, never for a real haven.
DEMO_PASSWORD = "openhaven-demo-only"  # noqa: S105 - a published demo credential
ACCOUNTS_FILE = "demo-accounts.txt"

#: role → (display name, email); people the demo's project already has are reused.
DEMO_PEOPLE: dict[str, tuple[str, str]] = {
    Role.PATIENT: ("Pat Jones", "patient@example.org"),
    Role.PROXY: ("Sam Jones", "proxy@example.org"),
    Role.RESEARCHER: ("Dr Asha Patel", "asha.patel@example.org"),
    Role.COMMITTEE_MEMBER: ("Prof Tom Reid", "tom.reid@example.org"),
    Role.OUTPUT_CHECKER: ("Dr Mei Chen", "mei.chen@example.org"),
    Role.CUSTODIAN_ADMIN: ("Chris Walker", "custodian@example.org"),
    Role.AUDITOR: ("Ola Nowak", "auditor@example.org"),
}


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    totp_secret: str | None
    person: str


def create_demo_accounts(session: Session, haven: Haven) -> list[DemoAccount]:
    """One account per role (people registered if the demo has not already)."""
    made: list[DemoAccount] = []
    for role, (name, email) in DEMO_PEOPLE.items():
        person = governance.find_person_by_email(session, email)
        if person is None:
            person = governance.register_person(
                session, haven, display_name=name, email=email, roles=[role],
                organisation=None, actor="custodian",
            )
        new = accounts.create_account(session, haven, person, password=DEMO_PASSWORD,
                                      actor="custodian")
        made.append(DemoAccount(str(role), email, DEMO_PASSWORD, new.totp_secret,
                                person.reference))
    return made


def write_accounts_file(home: Path, made: list[DemoAccount]) -> Path:
    """``<home>/demo-accounts.txt``, created with 0600 permissions."""
    path = home / ACCOUNTS_FILE
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(describe(made))
    return path


def describe(made: list[DemoAccount]) -> str:
    lines = [
        "OpenHaven demo accounts — for this demo haven only.",
        f"Every account's password: {DEMO_PASSWORD}",
        "Add each TOTP seed to an authenticator app (or open its otpauth link); the code it",
        "shows is asked for after the password. Patients have no second factor by default.",
        "",
    ]
    for account in made:
        lines.append(f"{account.role:<17} {account.email:<26} "
                     f"TOTP seed: {account.totp_secret or '(none)'}")
        if account.totp_secret:
            lines.append(f"{'':<17} {provisioning_uri(account.totp_secret, account.person)}")
    return "\n".join(lines) + "\n"


def as_dicts(made: list[DemoAccount]) -> list[dict[str, object]]:
    return [asdict(account) for account in made]
