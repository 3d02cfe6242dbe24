"""Queries of placements and the reward ledger."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.orm import Session

from coaching.partner.candidates.models import PartnerProfile, PartnerProfileView
from coaching.partner.placements.models import Placement


def profile_of(session: Session, candidate_ref: uuid.UUID) -> PartnerProfile | None:
    """The partner profile behind a candidate reference, if the reference exists."""
    return session.scalars(
        select(PartnerProfile).where(PartnerProfile.candidate_ref == candidate_ref)
    ).first()


def was_shown(session: Session, client_id: str, candidate_ref: uuid.UUID) -> bool:
    """Whether the client was ever shown the candidate (a search result or a profile)."""
    v = PartnerProfileView
    stmt = select(v.candidate_ref).where(v.client_id == client_id, v.candidate_ref == candidate_ref)
    return session.scalars(stmt.limit(1)).first() is not None


def of_client(session: Session, client_id: str, placement_id: uuid.UUID) -> Placement | None:
    """One of an agency's placements (None for another agency's)."""
    return session.scalars(
        select(Placement).where(
            Placement.id == placement_id, Placement.partner_client_id == client_id
        )
    ).first()


def page_of_client(
    session: Session, client_id: str, *, limit: int, offset: int
) -> tuple[Sequence[Placement], int]:
    """A page of an agency's placements, newest report first, and the total."""
    where = Placement.partner_client_id == client_id
    total = session.execute(select(func.count()).select_from(Placement).where(where)).scalar_one()
    rows = session.scalars(
        select(Placement)
        .where(where)
        .order_by(Placement.reported_at.desc(), Placement.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def page_of_case(
    session: Session, case_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[Placement], int]:
    """A page of a case's placements, newest report first, and the total."""
    where = Placement.case_id == case_id
    total = session.execute(select(func.count()).select_from(Placement).where(where)).scalar_one()
    rows = session.scalars(
        select(Placement)
        .where(where)
        .order_by(Placement.reported_at.desc(), Placement.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


@dataclass(frozen=True)
class Counts:
    """One agency's placements in a period."""

    partner_client_id: str
    placements: int
    full: int
    partial: int
    claimants: int


def _counts_query(start: dt.date, end: dt.date) -> tuple[Any, ColumnElement[int]]:
    full = func.sum(case((Placement.resumption == "full", 1), else_=0))
    partial = func.sum(case((Placement.resumption == "partial", 1), else_=0))
    placements = func.count(Placement.id)
    return (
        select(
            Placement.partner_client_id,
            placements.label("placements"),
            full.label("full"),
            partial.label("partial"),
            func.count(distinct(Placement.claim_id)).label("claimants"),
        )
        .where(Placement.start_date >= start, Placement.start_date <= end)
        .group_by(Placement.partner_client_id)
    ), placements


def _counts(row: Any) -> Counts:
    client_id, placements, full, partial, claimants = row
    return Counts(
        str(client_id), int(placements), int(full or 0), int(partial or 0), int(claimants)
    )


def counts_of_client(session: Session, client_id: str, start: dt.date, end: dt.date) -> Counts:
    """An agency's placements starting between `start` and `end` (inclusive)."""
    query, _ = _counts_query(start, end)
    row = session.execute(query.where(Placement.partner_client_id == client_id)).first()
    return _counts(row) if row is not None else Counts(client_id, 0, 0, 0, 0)


def client_page_in(
    session: Session, client_id: str, start: dt.date, end: dt.date, *, limit: int, offset: int
) -> Sequence[Placement]:
    """A page of an agency's placements starting between `start` and `end`, earliest first."""
    return session.scalars(
        select(Placement)
        .where(
            Placement.partner_client_id == client_id,
            Placement.start_date >= start,
            Placement.start_date <= end,
        )
        .order_by(Placement.start_date, Placement.reported_at, Placement.id)
        .limit(limit)
        .offset(offset)
    ).all()


def ledger(
    session: Session, start: dt.date, end: dt.date, *, limit: int, offset: int
) -> tuple[list[Counts], int]:
    """Every agency's counts for placements starting between `start` and `end`, most
    placements first (ties by client id), and how many agencies there are."""
    query, placements = _counts_query(start, end)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(placements.desc(), Placement.partner_client_id).limit(limit).offset(offset)
    ).all()
    return [_counts(r) for r in rows], int(total)


def partial_of_case_in(
    session: Session, case_id: uuid.UUID, start: dt.date, end: dt.date
) -> Sequence[Placement]:
    """A case's partial placements (every agency) starting between `start` and `end`."""
    return session.scalars(
        select(Placement).where(
            Placement.case_id == case_id,
            Placement.resumption == "partial",
            Placement.start_date >= start,
            Placement.start_date <= end,
        )
    ).all()


def registration_counted(session: Session, client_id: str, case_id: uuid.UUID) -> bool:
    """Whether a placement of the agency already counted the claimant's registration with it."""
    stmt = select(Placement.id).where(
        Placement.case_id == case_id,
        Placement.partner_client_id == client_id,
        Placement.activity_id.is_not(None),
    )
    return session.scalars(stmt.limit(1)).first() is not None
