"""Storage of accounts, sessions, tokens, attempts and recovery codes (the caller's session).

Nothing here commits: the caller's unit of work does. Additions are flushed so that ids
exist before a ledger entry names them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openhaven.core.database import Base
from openhaven.governance.models import Person, Project, ProjectMember
from openhaven.identity.models import (
    Account,
    ApiToken,
    ExternalIdentity,
    RecoveryCode,
    SignInAttempt,
    SignInSession,
)


def add(session: Session, *objects: Base) -> None:
    session.add_all(objects)
    session.flush()


def save(session: Session) -> None:
    session.flush()


def remove(session: Session, row: Base) -> None:
    session.delete(row)
    session.flush()


def project_reference_of_output(session: Session, output_id: int) -> str | None:
    """The reference of the project an output belongs to (for deciding scoped actions)."""
    from openhaven.outputs.models import Output

    statement = select(Project.reference).join(Output, Output.project_id == Project.id).where(
        Output.id == output_id
    )
    return session.scalars(statement).first()


def account_by_email(session: Session, email: str) -> Account | None:
    if "\x00" in email:  # no stored email holds one, and PostgreSQL refuses it in a query
        return None
    statement = select(Account).join(Person).where(Person.email == email.strip().lower())
    return session.scalars(statement).first()


def account_by_id(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def account_for_person(session: Session, person_id: int) -> Account | None:
    return session.scalars(select(Account).where(Account.person_id == person_id)).first()


def all_accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.id)))


def project_references_of(session: Session, person_id: int) -> set[str]:
    """Projects the person leads or is a member of."""
    member = select(Project.reference).join(ProjectMember).where(
        ProjectMember.person_id == person_id
    )
    lead = select(Project.reference).where(Project.lead_id == person_id)
    return set(session.scalars(member)) | set(session.scalars(lead))


def project_id_for(session: Session, reference: str) -> int | None:
    if "\x00" in reference:
        return None
    return session.scalars(select(Project.id).where(Project.reference == reference)).first()


def failures_since(session: Session, name_digest: str, since: datetime) -> list[datetime]:
    """Times of failed attempts for this name after ``since`` and after its last success."""
    last_success = session.scalars(
        select(func.max(SignInAttempt.at)).where(
            SignInAttempt.name_digest == name_digest, SignInAttempt.succeeded.is_(True)
        )
    ).first()
    start = max(since, last_success) if last_success is not None else since
    statement = select(SignInAttempt.at).where(
        SignInAttempt.name_digest == name_digest,
        SignInAttempt.succeeded.is_(False),
        SignInAttempt.at > start,
    ).order_by(SignInAttempt.at)
    return list(session.scalars(statement))


def session_by_token_hash(session: Session, token_hash: str) -> SignInSession | None:
    return session.scalars(
        select(SignInSession).where(SignInSession.token_hash == token_hash)
    ).first()


def open_sessions_of(session: Session, account_id: int) -> list[SignInSession]:
    statement = select(SignInSession).where(
        SignInSession.account_id == account_id, SignInSession.ended_at.is_(None)
    )
    return list(session.scalars(statement))


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()


def token_by_id(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def tokens_of(session: Session, account_id: int | None) -> list[ApiToken]:
    statement = select(ApiToken).order_by(ApiToken.id)
    if account_id is not None:
        statement = statement.where(ApiToken.account_id == account_id)
    return list(session.scalars(statement))


def unused_recovery_codes(session: Session, account_id: int) -> list[RecoveryCode]:
    statement = select(RecoveryCode).where(
        RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None)
    )
    return list(session.scalars(statement))


def delete_recovery_codes(session: Session, account_id: int) -> None:
    for code in session.scalars(select(RecoveryCode).where(RecoveryCode.account_id == account_id)):
        session.delete(code)
    session.flush()


def external_identity(session: Session, issuer: str, subject: str) -> ExternalIdentity | None:
    statement = select(ExternalIdentity).where(
        ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
    )
    return session.scalars(statement).first()
