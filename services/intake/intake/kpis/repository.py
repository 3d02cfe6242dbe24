"""The KPI queries: GROUP BY in the database, a few hundred rows back per query.

Each query groups by office and Europe/Amsterdam calendar day (`local_date`), so the result
size depends on offices x days, not on the number of claims. The range conditions are on the
indexed UTC columns (`claims.registered_at`, `capacity_shortfalls.detected_at`); the
appointments of the claims in range are reached through `ix_appointments_claim_id`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from intake.agendas.rules import LOCAL_TZ
from intake.appointments.models import (
    COMPLETED,
    NO_SHOW,
    Appointment,
    AppointmentCompletion,
    CapacityShortfall,
)
from intake.claims.models import Claim
from intake.kpis.rules import CohortGroup, OutcomeGroup, ShortfallGroup


class local_date(FunctionElement[dt.date]):
    """The Europe/Amsterdam calendar day of an aware UTC timestamp column, in SQL.

    PostgreSQL converts with the time zone database. SQLite (embedded mode) stores naive
    UTC text and has no zones: the EU rule (summer time from the last Sunday of March to
    the last Sunday of October, 01:00 UTC) gives the offset, which holds since 1996.
    """

    type = Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_pg(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(timezone('{LOCAL_TZ.key}', {column}) AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    # Whole seconds of the stored text ('YYYY-MM-DD HH:MM:SS.ffffff'): SQLite's date
    # functions round fractions to milliseconds, which would carry 23:59:59.9995 into the
    # next day.
    c = f"substr({compiler.process(next(iter(element.clauses)), **kw)}, 1, 19)"
    start = f"date(strftime('%Y', {c}) || '-03-25', 'weekday 0') || ' 01:00:00'"
    end = f"date(strftime('%Y', {c}) || '-10-25', 'weekday 0') || ' 01:00:00'"
    return (
        f"date({c}, CASE WHEN {c} >= {start} AND {c} < {end} THEN '+2 hours' ELSE '+1 hours' END)"
    )


def cohort_groups(
    session: Session, *, after: dt.datetime, before: dt.datetime
) -> list[CohortGroup]:
    """Claims registered in [after, before) by office, local registration day, later first WW
    day and local day of the first held intake."""
    held = (
        select(
            Appointment.claim_id.label("claim_id"),
            func.min(AppointmentCompletion.held_at).label("held_at"),
        )
        .join(AppointmentCompletion, AppointmentCompletion.appointment_id == Appointment.id)
        .where(
            Appointment.status == COMPLETED,
            Appointment.claim_id.in_(
                select(Claim.id).where(Claim.registered_at >= after, Claim.registered_at < before)
            ),
        )
        .group_by(Appointment.claim_id)
        .subquery("held")
    )
    registered_on = local_date(Claim.registered_at)
    # Grouping happens on the columns of this inner query, so each expression is written once.
    inner = (
        select(
            Claim.office_code.label("office_code"),
            registered_on.label("registered_on"),
            case((Claim.first_ww_day > registered_on, Claim.first_ww_day), else_=None).label(
                "later_first_ww_day"
            ),
            local_date(held.c.held_at).label("held_on"),
        )
        .select_from(Claim)
        .outerjoin(held, held.c.claim_id == Claim.id)
        .where(Claim.registered_at >= after, Claim.registered_at < before)
        .subquery("c")
    )
    rows = session.execute(
        select(
            inner.c.office_code,
            inner.c.registered_on,
            inner.c.later_first_ww_day,
            inner.c.held_on,
            func.count().label("claims"),
        ).group_by(
            inner.c.office_code,
            inner.c.registered_on,
            inner.c.later_first_ww_day,
            inner.c.held_on,
        )
    ).all()
    return [CohortGroup(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]


def outcome_groups(
    session: Session, *, after: dt.datetime, before: dt.datetime
) -> list[OutcomeGroup]:
    """Completed and no-show appointments of the claims registered in [after, before), by the
    claim's office and local registration day."""
    inner = (
        select(
            Claim.office_code.label("office_code"),
            local_date(Claim.registered_at).label("registered_on"),
            Appointment.status.label("status"),
        )
        .select_from(Claim)
        .join(Appointment, Appointment.claim_id == Claim.id)
        .where(
            Claim.registered_at >= after,
            Claim.registered_at < before,
            Appointment.status.in_((COMPLETED, NO_SHOW)),
        )
        .subquery("a")
    )
    rows = session.execute(
        select(
            inner.c.office_code,
            inner.c.registered_on,
            func.sum(case((inner.c.status == COMPLETED, 1), else_=0)),
            func.sum(case((inner.c.status == NO_SHOW, 1), else_=0)),
        ).group_by(inner.c.office_code, inner.c.registered_on)
    ).all()
    return [OutcomeGroup(r[0], r[1], int(r[2]), int(r[3])) for r in rows]


def shortfall_groups(
    session: Session, *, after: dt.datetime, before: dt.datetime
) -> list[ShortfallGroup]:
    """Capacity shortfalls detected in [after, before) by office and local day."""
    inner = (
        select(
            CapacityShortfall.office_code.label("office_code"),
            local_date(CapacityShortfall.detected_at).label("detected_on"),
        )
        .where(and_(CapacityShortfall.detected_at >= after, CapacityShortfall.detected_at < before))
        .subquery("s")
    )
    rows = session.execute(
        select(inner.c.office_code, inner.c.detected_on, func.count()).group_by(
            inner.c.office_code, inner.c.detected_on
        )
    ).all()
    return [ShortfallGroup(r[0], r[1], int(r[2])) for r in rows]
