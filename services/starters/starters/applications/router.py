"""HTTP API of the starters scheme (`/v1/starters/...`)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Response, status

from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES, conflict_doc
from shared.web.validation import Day
from starters.applications import service
from starters.applications.models import Application
from starters.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    DecisionRead,
    IncomeStatementCreate,
    IncomeStatementRead,
    MonthRead,
    ScheduleRead,
    SuspensionRead,
    TransitionBody,
)
from starters.deps import Container, Settings, Today
from starters.rules import schedule as rules
from starters.rules.states import State, allowed_actions

router = APIRouter(prefix="/v1/starters", tags=["starters"], responses=PROBLEM_RESPONSES)

READ_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER, Role.ADMIN)
APPLY_ROLES = (Role.CLAIMANT, Role.BENEFITS_OFFICER, Role.ADMIN)
DECIDE_ROLES = (Role.CLAIMANT, Role.BENEFITS_OFFICER, Role.ADMIN)  # claimants: withdraw only


def _read(app: Application) -> ApplicationRead:
    read = ApplicationRead.model_validate(
        {
            **{c: getattr(app, c) for c in ApplicationRead.model_fields if hasattr(app, c)},
            "allowed_actions": [a.value for a in allowed_actions(State(app.state))],
        }
    )
    return read


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationRead,
    summary="Apply for the starters scheme",
)
def create_application(
    body: ApplicationCreate,
    response: Response,
    container: Container,
    settings: Settings,
    today: Today,
    principal: Principal = Depends(requires(roles=APPLY_ROLES)),
) -> ApplicationRead:
    """The claimant for their own claim (a benefits officer on their behalf), on or after
    the first WW day, with proof of the online training. Publishes `starters.applied`."""
    with container.uow() as uow:
        app = service.create(
            uow=uow,
            data=body,
            principal=principal,
            today=today,
            variants_enabled=settings.variants_enabled,
        )
        response.headers["Location"] = f"/v1/starters/applications/{app.id}"
        return _read(app)


@router.get("/applications", response_model=Page[ApplicationRead], summary="List applications")
def list_applications(
    container: Container,
    state: State | None = None,
    claim_id: uuid.UUID | None = None,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> Page[ApplicationRead]:
    """Newest first. Benefits officers and admins see all; a claimant their own; a coach
    their caseload's; a team lead their office's. Audited."""
    with container.uow() as uow:
        rows, total = service.list_applications(
            uow,
            principal,
            state=state.value if state else None,
            claim_id=claim_id,
            limit=page.limit,
            offset=page.offset,
        )
    items = [_read(a) for a in rows]
    return Page[ApplicationRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/applications/{application_id}", response_model=ApplicationRead, summary="An application"
)
def get_application(
    application_id: uuid.UUID,
    container: Container,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> ApplicationRead:
    """With `allowed_actions` from its state. Audited."""
    with container.uow() as uow:
        app = service.read(uow, application_id, principal)
    return _read(app)


@router.post(
    "/applications/{application_id}/transitions",
    responses=conflict_doc("the transition is not allowed from the application's status"),
    response_model=ApplicationRead,
    summary="Decide: start the research period, grant or refuse, continue, stop, revive",
)
def transition(
    application_id: uuid.UUID,
    container: Container,
    today: Today,
    body: TransitionBody = Body(discriminator="action"),
    principal: Principal = Depends(requires(roles=DECIDE_ROLES)),
) -> ApplicationRead:
    """A benefits officer (or admin) decides; the claimant may only `withdraw` their own.
    An action the state does not allow is a 409 naming `allowed_actions`; a date breaking
    a rule a 422 naming the field. Audited; the decision keeps the parameter versions."""
    with container.uow() as uow:
        app = service.transition(
            uow=uow,
            application_id=application_id,
            step=body,
            principal=principal,
            today=today,
        )
        return _read(app)


@router.get(
    "/applications/{application_id}/decisions",
    response_model=list[DecisionRead],
    summary="The decisions of an application",
)
def list_decisions(
    application_id: uuid.UUID,
    container: Container,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> list[DecisionRead]:
    """Oldest first, each with the parameter versions it used. Audited."""
    with container.uow() as uow:
        rows = service.decisions(uow, application_id, principal)
    return [DecisionRead.model_validate(d, from_attributes=True) for d in rows]


@router.post(
    "/applications/{application_id}/income-statements",
    status_code=status.HTTP_201_CREATED,
    response_model=IncomeStatementRead,
    summary="The monthly income statement of the start period",
    responses=conflict_doc(
        "the application is not in its start period, or the month's statement was already submitted"
    ),
)
def add_income_statement(
    application_id: uuid.UUID,
    body: IncomeStatementCreate,
    container: Container,
    today: Today,
    principal: Principal = Depends(requires(roles=APPLY_ROLES)),
) -> IncomeStatementRead:
    """Income is not deducted during the start period, but the statement is required; an
    assignment for the former employer suspends the benefit until the period ends
    (`starters.benefit_suspended`)."""
    with container.uow() as uow:
        row = service.add_statement(
            uow=uow,
            application_id=application_id,
            data=body,
            principal=principal,
            today=today,
        )
        return IncomeStatementRead.model_validate(row, from_attributes=True)


@router.get(
    "/applications/{application_id}/income-statements",
    response_model=list[IncomeStatementRead],
    summary="The income statements of an application",
)
def list_income_statements(
    application_id: uuid.UUID,
    container: Container,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> list[IncomeStatementRead]:
    """By month. Audited."""
    with container.uow() as uow:
        rows = service.income_statements(uow, application_id, principal)
    return [IncomeStatementRead.model_validate(s, from_attributes=True) for s in rows]


@router.get(
    "/applications/{application_id}/suspensions",
    response_model=list[SuspensionRead],
    summary="Days without benefit (the former employer rule)",
)
def list_suspensions(
    application_id: uuid.UUID,
    container: Container,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> list[SuspensionRead]:
    """Audited."""
    with container.uow() as uow:
        rows = service.application_suspensions(uow, application_id, principal)
    return [SuspensionRead.model_validate(s, from_attributes=True) for s in rows]


def _schedule(
    lines: list[rules.MonthLine], application_id: uuid.UUID | None, variant: bool
) -> ScheduleRead:
    months = [MonthRead.model_validate(rules.month_dict(line)) for line in lines]
    versions = sorted({v for m in months for v in m.parameter_versions})
    return ScheduleRead(
        application_id=application_id,
        months=months,
        parameter_versions=versions,
        not_current_law=variant,
    )


@router.get(
    "/applications/{application_id}/schedule",
    responses=conflict_doc("the application has no schedule in its status"),
    response_model=ScheduleRead,
    summary="The monthly benefit schedule of an application",
)
def application_schedule(
    application_id: uuid.UUID,
    container: Container,
    settings: Settings,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> ScheduleRead:
    """From the first WW day to the end of entitlement, month by month, with the parameter
    versions each month used. 409 before the WW facts are recorded. Audited."""
    with container.uow() as uow:
        app, lines = service.schedule_of(
            uow,
            application_id,
            principal,
            variants_enabled=settings.variants_enabled,
        )
    return _schedule(lines, app.id, app.variant is not None)


@router.get(
    "/simulation",
    response_model=ScheduleRead,
    summary="What-if: the monthly amounts for a proposed start, without applying",
)
def simulation(
    dagloon: Annotated[Decimal, Query(gt=0, le=2000)],
    first_ww_day: Annotated[Day, Query()],
    entitlement_months: Annotated[int, Query(ge=3, le=38)],
    # Annotated, not `= Query()`: FastAPI drops the bounds of `Day` in the default form.
    start: Annotated[Day, Query(description="The proposed start of the start period")],
    container: Container,
    usual_hours_per_day: Decimal = Query(Decimal(8), gt=0, le=12),
    research_weeks: int = Query(0, ge=0, le=6, description="A research period before it"),
    outcome: Literal["continued", "stopped"] | None = None,
    business_hours_per_month: Decimal | None = Query(None, ge=0, le=400),
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> ScheduleRead:
    """Nothing is stored (no personal data: not audited)."""
    with container.uow() as uow:
        lines = service.simulate(
            uow,
            dagloon=dagloon,
            first_ww_day=first_ww_day,
            entitlement_months=entitlement_months,
            start=start,
            usual_hours_per_day=usual_hours_per_day,
            research_weeks=research_weeks,
            outcome=outcome,
            business_hours_per_month=business_hours_per_month,
        )
    return _schedule(lines, None, False)
