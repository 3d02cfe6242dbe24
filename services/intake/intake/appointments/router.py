"""HTTP API of intake appointments and the offices' unplanned lists."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from intake.appointments import service
from intake.appointments.models import Appointment, UnplannedClaim
from intake.appointments.schemas import AppointmentRead, UnplannedClaimRead
from shared.reference import load_offices
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["appointments"], responses=PROBLEM_RESPONSES)

STAFF_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER, Role.TRIAGE_ANALYST, Role.ADMIN)
# Row-level: the claimant, the appointment's coach, the office's team lead, an admin.
APPOINTMENT_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.ADMIN)


def _office_scope(principal: Principal) -> str | None:
    """The office a team lead is confined to (as for claims); None for other staff."""
    staff_roles = principal.roles & set(STAFF_ROLES)
    if staff_roles == {Role.TEAM_LEAD} and principal.office:
        return principal.office
    return None


def to_read(a: Appointment) -> AppointmentRead:
    """Response model of an appointment."""
    return AppointmentRead(
        id=a.id,
        claim_id=a.claim_id,
        slot_id=a.slot_id,
        coach_id=a.coach_id,
        office_code=a.office_code,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        status=a.status,
        deadline=a.deadline,
        booked_at=a.booked_at,
    )


def _unplanned(u: UnplannedClaim) -> UnplannedClaimRead:
    return UnplannedClaimRead(
        claim_id=u.claim_id, office_code=u.office_code, deadline=u.deadline, since=u.since
    )


@router.get(
    "/v1/claims/{claim_id}/appointments",
    response_model=list[AppointmentRead],
    summary="A claim's intake appointments",
)
def claim_appointments(
    claim_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=(*STAFF_ROLES, Role.CLAIMANT))),
    container: ServiceContainer = Depends(get_container),
) -> list[AppointmentRead]:
    """Staff see any claim's (a team lead their office's); a claimant only their own claim's."""
    own_only = principal.subject if not principal.has_role(*STAFF_ROLES) else None
    with container.uow() as uow:
        rows = service.list_for_claim(
            uow=uow,
            claim_id=claim_id,
            actor=principal.as_actor(),
            claimant_subject=own_only,
            office_code=_office_scope(principal),
        )
        return [to_read(a) for a in rows]


@router.get(
    "/v1/appointments/{appointment_id}",
    response_model=AppointmentRead,
    summary="One intake appointment",
)
def get_appointment(
    appointment_id: uuid.UUID,
    principal: Principal = Depends(requires(roles=APPOINTMENT_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> AppointmentRead:
    """The claimant's own, the coach's own, the office's (team lead), or any (admin)."""
    with container.uow() as uow:
        return to_read(
            service.get_appointment(uow=uow, appointment_id=appointment_id, principal=principal)
        )


@router.get(
    "/v1/offices/{office_code}/unplanned",
    response_model=Page[UnplannedClaimRead],
    summary="Claims waiting for an intake slot (staff)",
)
def unplanned(
    office_code: str,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=STAFF_ROLES)),
    container: ServiceContainer = Depends(get_container),
) -> Page[UnplannedClaimRead]:
    """The office's unplanned list in deadline order; a team lead sees only their own office."""
    with container.uow() as uow:
        rows, total = service.list_unplanned(
            uow=uow,
            office_code=office_code,
            actor=principal.as_actor(),
            scope_office=_office_scope(principal),
            offices=load_offices(),
            limit=page.limit,
            offset=page.offset,
        )
        items = [_unplanned(u) for u in rows]
    return Page[UnplannedClaimRead](items=items, total=total, limit=page.limit, offset=page.offset)
