"""Queries over partner vacancies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.orm import Session

from coaching.partner.clients.models import ACTIVE, PartnerClient
from coaching.partner.vacancies.models import OPEN, PartnerVacancy, PartnerVacancySkill


def get_own(session: Session, vacancy_id: uuid.UUID, client_id: str) -> PartnerVacancy | None:
    """A vacancy of this client (None for another client's, as for a missing one)."""
    return session.scalars(
        select(PartnerVacancy).where(
            PartnerVacancy.id == vacancy_id, PartnerVacancy.client_id == client_id
        )
    ).one_or_none()


def add(session: Session, vacancy: PartnerVacancy) -> None:
    """Stage a new vacancy with its skill rows."""
    session.add(vacancy)
    session.flush()
    set_skills(session, vacancy)


def set_skills(session: Session, vacancy: PartnerVacancy) -> None:
    """Make the skill rows match `vacancy.skills`."""
    session.execute(delete(PartnerVacancySkill).where(PartnerVacancySkill.vacancy_id == vacancy.id))
    session.add_all(PartnerVacancySkill(vacancy_id=vacancy.id, skill=s) for s in vacancy.skills)


def list_own(
    session: Session,
    *,
    client_id: str,
    status: str | None,
    sector: str | None,
    region: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[PartnerVacancy], int]:
    """A page of the client's vacancies, newest first, and the total."""
    conditions: list[ColumnElement[bool]] = [PartnerVacancy.client_id == client_id]
    if status:
        conditions.append(PartnerVacancy.status == status)
    if sector:
        conditions.append(PartnerVacancy.sector == sector)
    if region:
        conditions.append(PartnerVacancy.region == region)
    total = session.execute(
        select(func.count()).select_from(PartnerVacancy).where(*conditions)
    ).scalar_one()
    rows = session.scalars(
        select(PartnerVacancy)
        .where(*conditions)
        .order_by(PartnerVacancy.created_at.desc(), PartnerVacancy.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def list_open(
    session: Session,
    *,
    sector: str | None,
    region: str | None,
    skills: Sequence[str],
    min_hours: float | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[tuple[PartnerVacancy, str]], int]:
    """A page of open vacancies with their agency's name, newest first, and the total.

    `skills` matches vacancies asking for at least one of them.
    """
    conditions: list[ColumnElement[Any]] = [PartnerVacancy.status == OPEN]
    if sector:
        conditions.append(PartnerVacancy.sector == sector)
    if region:
        conditions.append(PartnerVacancy.region == region)
    if min_hours is not None:
        conditions.append(PartnerVacancy.hours_per_week >= min_hours)
    if skills:
        conditions.append(
            exists().where(
                PartnerVacancySkill.vacancy_id == PartnerVacancy.id,
                PartnerVacancySkill.skill.in_(list(skills)),
            )
        )
    # A suspended agency's vacancies are hidden until it is resumed.
    conditions.append(PartnerClient.status == ACTIVE)
    joined = PartnerClient.client_id == PartnerVacancy.client_id
    total = session.execute(
        select(func.count())
        .select_from(PartnerVacancy)
        .join(PartnerClient, joined)
        .where(*conditions)
    ).scalar_one()
    rows = session.execute(
        select(PartnerVacancy, PartnerClient.name)
        .join(PartnerClient, joined)
        .where(*conditions)
        .order_by(PartnerVacancy.created_at.desc(), PartnerVacancy.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(v, name) for v, name in rows], int(total)
