"""Queries over applications, their decisions, income statements, suspensions and reminders
(and the claims read model they are decided against)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from starters.applications.models import (
    Application,
    Decision,
    IncomeStatement,
    ReminderSent,
    Suspension,
)
from starters.claims.models import KnownClaim


@dataclass(frozen=True)
class Reach:
    """Whose applications a caller who is not a decider sees: their own (as claimant), their
    caseload's (as coach), their office's (as team lead). A None part adds nothing."""

    claimant_subject: str | None = None
    coach_id: uuid.UUID | None = None
    office: str | None = None

    def __bool__(self) -> bool:
        return not (self.claimant_subject is None and self.coach_id is None and self.office is None)


def get(
    session: Session, application_id: uuid.UUID, *, for_update: bool = False
) -> Application | None:
    """An application by id (locked with `for_update`)."""
    query = select(Application).where(Application.id == application_id)
    return session.scalars(query.with_for_update() if for_update else query).first()


def known_claim(session: Session, claim_id: uuid.UUID) -> KnownClaim | None:
    """The claim an application is for, as starters knows it (None if it has not arrived)."""
    return session.get(KnownClaim, claim_id)


def _conditions(
    reach: Reach | None, state: str | None, claim_id: uuid.UUID | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if reach is not None:
        parts: list[ColumnElement[bool]] = []
        if reach.claimant_subject is not None:
            parts.append(Application.claimant_subject == reach.claimant_subject)
        coach_claims = select(KnownClaim.claim_id)
        if reach.coach_id is not None:
            parts.append(
                Application.claim_id.in_(coach_claims.where(KnownClaim.coach_id == reach.coach_id))
            )
        if reach.office is not None:
            parts.append(
                Application.claim_id.in_(coach_claims.where(KnownClaim.office_code == reach.office))
            )
        conditions.append(or_(*parts))
    if state:
        conditions.append(Application.state == state)
    if claim_id:
        conditions.append(Application.claim_id == claim_id)
    return conditions


def page(
    session: Session,
    *,
    reach: Reach | None,
    state: str | None,
    claim_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Application], int]:
    """One page of applications, newest first, within `reach` (None: all), and the total."""
    conditions = _conditions(reach, state, claim_id)
    total = session.execute(
        select(func.count()).select_from(Application).where(*conditions)
    ).scalar_one()
    rows = session.scalars(
        select(Application)
        .where(*conditions)
        .order_by(Application.created_at.desc(), Application.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def running_for_claim(
    session: Session, claim_id: uuid.UUID, *, ended_states: Collection[str]
) -> Application | None:
    """An application of the claim in none of `ended_states`, if there is one."""
    return session.scalars(
        select(Application).where(
            Application.claim_id == claim_id, Application.state.not_in(list(ended_states))
        )
    ).first()


def in_state(session: Session, state: str) -> Sequence[Application]:
    """Every application in `state`."""
    return session.scalars(select(Application).where(Application.state == state)).all()


def add(
    session: Session, row: Application | Decision | IncomeStatement | Suspension | ReminderSent
) -> None:
    """Stage a new row."""
    session.add(row)


def decisions_of(session: Session, application_id: uuid.UUID) -> Sequence[Decision]:
    """An application's decisions, oldest first."""
    return session.scalars(
        select(Decision)
        .where(Decision.application_id == application_id)
        .order_by(Decision.decided_at, Decision.id)
    ).all()


def statement_for(
    session: Session, application_id: uuid.UUID, month: str
) -> IncomeStatement | None:
    """The application's statement for `month` ("YYYY-MM"), if submitted."""
    return session.scalars(
        select(IncomeStatement).where(
            IncomeStatement.application_id == application_id, IncomeStatement.month == month
        )
    ).first()


def statements_of(session: Session, application_id: uuid.UUID) -> Sequence[IncomeStatement]:
    """An application's statements by month."""
    return session.scalars(
        select(IncomeStatement)
        .where(IncomeStatement.application_id == application_id)
        .order_by(IncomeStatement.month)
    ).all()


def suspensions_of(session: Session, application_id: uuid.UUID) -> Sequence[Suspension]:
    """An application's suspensions by start."""
    return session.scalars(
        select(Suspension)
        .where(Suspension.application_id == application_id)
        .order_by(Suspension.starts_on)
    ).all()


def reminded_months(session: Session, application_id: uuid.UUID) -> set[str]:
    """The months a missing-statement reminder was sent for."""
    return set(
        session.scalars(
            select(ReminderSent.month).where(ReminderSent.application_id == application_id)
        )
    )
