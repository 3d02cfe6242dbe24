"""HTTP API of the reports (`/v1/reports/overrides`, `/v1/reports/monitoring`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES
from shared.web.validation import Day
from triage.deps import Container, Today
from triage.reports import service
from triage.reports.rules import MonitoringGroup, OverrideGroup
from triage.reports.schemas import (
    MonitoringGroupRead,
    MonitoringRead,
    MonitoringWeekRead,
    OverrideGroupRead,
    OverrideReportRead,
)

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=PROBLEM_RESPONSES)

# Row-level: a team lead sees their own office's figures only.
OVERRIDE_REPORT_ROLES = (Role.TRIAGE_ANALYST, Role.TEAM_LEAD, Role.ADMIN)
MONITORING_ROLES = (Role.TRIAGE_ANALYST, Role.ADMIN)
_WEEK = r"^\d{4}-W\d{2}$"


def _group(g: OverrideGroup) -> OverrideGroupRead:
    return OverrideGroupRead(
        key=g.key,
        role=g.role,
        scored_claims=g.scored_claims,
        overrides=g.overrides,
        overridden_claims=g.overridden_claims,
        override_rate=g.override_rate,
        to_personal=g.to_personal,
        to_digital=g.to_digital,
        by_reason=g.by_reason,
    )


def _monitoring_group(g: MonitoringGroup) -> MonitoringGroupRead:
    return MonitoringGroupRead(
        dimension=g.dimension,  # type: ignore[arg-type]
        key=g.key,
        claims=g.claims,
        personal=g.personal,
        digital=g.digital,
        personal_share=g.personal_share,
        overridden=g.overridden,
        override_rate=g.override_rate,
        mean_probability=g.mean_probability,
        drift=g.drift,
    )


@router.get(
    "/overrides",
    response_model=OverrideReportRead,
    summary="Override rates per coach or per office over a period",
)
def override_report(
    *,
    from_date: Day | None = Query(None, alias="from", description="First local day"),
    to_date: Day | None = Query(None, alias="to", description="Last local day (inclusive)"),
    group_by: Literal["coach", "office"] = Query("office"),
    principal: Principal = Depends(requires(roles=OVERRIDE_REPORT_ROLES)),
    container: Container,
    today: Today,
) -> OverrideReportRead:
    """Default: the 28 days up to today. Not audited (aggregates and staff ids only)."""
    with container.uow() as uow:
        start, end, office, groups, total = service.override_report(
            uow=uow,
            principal=principal,
            from_date=from_date,
            to_date=to_date,
            group_by=group_by,
            today=today,
        )
    return OverrideReportRead(
        from_date=start,
        to_date=end,
        group_by=group_by,
        office_code=office,
        groups=[_group(g) for g in groups],
        total=_group(total),
    )


@router.get(
    "/monitoring",
    response_model=MonitoringRead,
    summary="Segment distribution, override rate and score drift per group, per ISO week",
)
def monitoring(
    *,
    from_week: str | None = Query(None, pattern=_WEEK, description="e.g. 2026-W40"),
    to_week: str | None = Query(None, pattern=_WEEK, description="default: the current week"),
    principal: Principal = Depends(requires(roles=MONITORING_ROLES)),
    container: Container,
    today: Today,
) -> MonitoringRead:
    """Groups: age band, region (office) and education, and `all`. Default: 8 weeks."""
    with container.uow() as uow:
        weeks, by_week = service.monitoring(
            uow=uow, from_week=from_week, to_week=to_week, today=today
        )
    return MonitoringRead(
        from_week=str(weeks[0]),
        to_week=str(weeks[-1]),
        baseline_week=str(weeks[0]),
        weeks=[
            MonitoringWeekRead(
                week=str(w),
                week_start=w.monday,
                groups=[_monitoring_group(g) for g in by_week[w]],
            )
            for w in weeks
        ],
    )
