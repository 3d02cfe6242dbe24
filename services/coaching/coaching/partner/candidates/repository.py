"""Queries of partner profiles, the search log and the daily views."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, Text, and_, exists, func, select, true, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from coaching.cases.models import Case
from coaching.partner.candidates.models import PartnerProfile, PartnerProfileView
from coaching.partner.candidates.schemas import CandidateFilters

# pg_advisory_xact_lock(namespace, hashtext(client_id)): one client's views, serialised.
_VIEWS_LOCK_NAMESPACE = 7_004


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def profile_of_case(session: Session, case_id: uuid.UUID) -> PartnerProfile | None:
    """The case's profile, if the claimant ever set one."""
    return session.scalars(
        select(PartnerProfile).where(PartnerProfile.case_id == case_id)
    ).one_or_none()


def by_candidate_ref(session: Session, candidate_ref: uuid.UUID) -> PartnerProfile | None:
    """The profile of a candidate_ref, visible or not (for placements)."""
    return session.scalars(
        select(PartnerProfile).where(PartnerProfile.candidate_ref == candidate_ref)
    ).one_or_none()


def _visible() -> list[ColumnElement[bool]]:
    # `searchable` is the indexed flag; the join re-checks the case itself, so a closed
    # case never shows even if a close path forgot `on_case_status_changed`.
    return [PartnerProfile.searchable == true(), Case.status == "open"]


def _skills_clause(session: Session, skills: Sequence[str], match: str) -> ColumnElement[bool]:
    if _dialect(session) == "postgresql":
        column = type_coerce(PartnerProfile.skills, JSONB)
        if match == "all":
            return column.contains(list(skills))  # @>, GIN
        return column.has_any(postgresql.array(list(skills), type_=Text))  # ?|, GIN

    # SQLite (embedded mode): json_each over the array; correct, not indexed.
    def has(skill_values: Sequence[str]) -> ColumnElement[bool]:
        each = func.json_each(PartnerProfile.skills).table_valued("value")
        return exists(select(1).select_from(each).where(each.c.value.in_(skill_values)))

    if match == "all":
        return and_(*[has([s]) for s in skills])
    return has(list(skills))


def search(
    session: Session, f: CandidateFilters, *, after: uuid.UUID | None, limit: int
) -> list[PartnerProfile]:
    """Searchable profiles of open cases matching the filters, in `candidate_ref` order
    after the cursor."""
    p = PartnerProfile
    stmt = select(p).join(Case, Case.id == p.case_id).where(*_visible())
    if f.sector is not None:
        stmt = stmt.where(p.sector == f.sector)
    if f.region is not None:
        stmt = stmt.where(p.region == f.region)
    if f.min_hours is not None:
        stmt = stmt.where(p.hours_per_week >= f.min_hours)
    if f.max_hours is not None:
        stmt = stmt.where(p.hours_per_week <= f.max_hours)
    if f.available_before is not None:
        stmt = stmt.where(p.available_from <= f.available_before)
    if f.skills:
        stmt = stmt.where(_skills_clause(session, f.skills, f.skills_match))
    if after is not None:
        stmt = stmt.where(p.candidate_ref > after)
    return list(session.scalars(stmt.order_by(p.candidate_ref).limit(limit)))


def visible_profile(session: Session, candidate_ref: uuid.UUID) -> PartnerProfile | None:
    """The candidate's profile if partners may see it now."""
    stmt = (
        select(PartnerProfile)
        .join(Case, Case.id == PartnerProfile.case_id)
        .where(PartnerProfile.candidate_ref == candidate_ref, *_visible())
    )
    return session.scalars(stmt).one_or_none()


def lock_client_views(session: Session, client_id: str) -> None:
    """Serialise one client's cap check and view recording until the commit (PostgreSQL;
    SQLite writes one transaction at a time anyway)."""
    if _dialect(session) == "postgresql":
        session.execute(
            select(func.pg_advisory_xact_lock(_VIEWS_LOCK_NAMESPACE, func.hashtext(client_id)))
        )


def views_on(session: Session, client_id: str, day: dt.date) -> int:
    """Distinct profiles shown to the client on the day."""
    v = PartnerProfileView
    stmt = select(func.count()).select_from(v).where(v.client_id == client_id, v.day == day)
    return session.scalar(stmt) or 0


def seen_among(
    session: Session, client_id: str, day: dt.date, refs: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `refs` the client was already shown on the day."""
    refs = list(refs)
    if not refs:
        return set()
    v = PartnerProfileView
    stmt = select(v.candidate_ref).where(
        v.client_id == client_id, v.day == day, v.candidate_ref.in_(refs)
    )
    return set(session.scalars(stmt))


def record_views(
    session: Session, client_id: str, day: dt.date, refs: Iterable[uuid.UUID], at: dt.datetime
) -> None:
    """Remember the profiles shown (a repeat on the same day is ignored)."""
    rows = [
        {"client_id": client_id, "day": day, "candidate_ref": r, "first_seen_at": at} for r in refs
    ]
    if not rows:
        return
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    session.execute(insert(PartnerProfileView).values(rows).on_conflict_do_nothing())
