"""Reads of appointments and the unplanned list, each audited."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from intake.access import service as access
from intake.agendas.rules import local_to_utc
from intake.appointments import ics, repository, rules
from intake.appointments.guards import is_rebookable, is_staff_for
from intake.appointments.models import (
    CANCELLED_BY_CLAIMANT,
    CANCELLED_BY_SERVICE,
    Appointment,
    UnplannedClaim,
)
from intake.claims.models import Claim
from intake.coaches.models import RosterCoach
from intake.settings import IntakeSettings
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.reference import OfficeDirectory
from shared.web.auth import Principal, Role
from shared.web.problems import Forbidden, InvalidField, NotFound


def list_for_claim(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    actor: Actor,
    claimant_subject: str | None,
    office_code: str | None,
    scope: access.ClaimScope | None = None,
) -> Sequence[Appointment]:
    """A claim's appointments: a claimant their own claim's, a team lead their office's; audited.
    With a `scope`, the claim's need-to-know rules decide (`intake.access`, break-glass)."""
    claim = uow.session.get(Claim, claim_id)
    if scope is not None and claim is not None:
        access.audit_read(uow, actor=actor, scope=scope, claim=claim, action="appointment.list")
        rows = repository.of_claim(uow.session, claim_id)
        uow.commit()
        return rows
    if (
        claim is None
        or (claimant_subject is not None and claim.claimant_subject != claimant_subject)
        or (office_code is not None and claim.office_code != office_code)
    ):
        raise NotFound("no such claim")
    rows = repository.of_claim(uow.session, claim_id)
    uow.audit(actor=actor, action="appointment.list", resource_type="claim", resource_id=claim_id)
    uow.commit()
    return rows


def _may_see(principal: Principal, appointment: Appointment, claim: Claim | None) -> bool:
    if principal.has_role(Role.ADMIN):
        return True
    if principal.has_role(Role.TEAM_LEAD) and principal.office in (
        appointment.office_code,
        claim.office_code if claim else None,
    ):
        return True
    if principal.has_role(Role.COACH) and principal.subject == str(appointment.coach_id):
        return True
    return bool(
        principal.has_role(Role.CLAIMANT)
        and claim is not None
        and claim.claimant_subject is not None
        and claim.claimant_subject == principal.subject
    )


def get_appointment(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    principal: Principal,
    action: str = "appointment.read",
) -> Appointment:
    """One appointment: the claimant, the coach, the office's team lead or an admin; audited."""
    appointment = repository.get(uow.session, appointment_id)
    claim = uow.session.get(Claim, appointment.claim_id) if appointment else None
    if appointment is None or not _may_see(principal, appointment, claim):
        raise NotFound("no such appointment")
    uow.audit(
        actor=principal.as_actor(),
        action=action,
        resource_type="appointment",
        resource_id=appointment.id,
    )
    uow.commit()
    return appointment


def allowed_now(
    *,
    uow: UnitOfWork,
    appointment: Appointment,
    principal: Principal,
    settings: IntakeSettings,
    now: dt.datetime,
) -> list[str]:
    """What `principal` may do with a visible appointment now: the rule each action checks
    (`rules.allowed_actions`), for staff of the appointment or for its claimant."""
    claim = uow.session.get(Claim, appointment.claim_id)
    if claim is None:
        return []
    return rules.allowed_actions(
        status=appointment.status,
        starts_at=appointment.starts_at,
        now=now,
        staff=is_staff_for(principal, appointment, claim),
        cutoff=dt.timedelta(hours=settings.reschedule_cutoff_hours),
        rebookable=is_rebookable(uow.session, appointment, claim),
    )


def appointment_ics(
    *,
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    principal: Principal,
    offices: OfficeDirectory,
    now: dt.datetime,
) -> str:
    """The appointment as an iCalendar file; the same readers as the JSON, audited."""
    appointment = get_appointment(
        uow=uow, appointment_id=appointment_id, principal=principal, action="appointment.ics"
    )
    office = offices.get(appointment.office_code)
    return ics.render(
        ics.IcsEvent(
            appointment_id=appointment.id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            location=office.name if office is not None else appointment.office_code,
            cancelled=appointment.status in (CANCELLED_BY_CLAIMANT, CANCELLED_BY_SERVICE),
        ),
        now=now,
    )


# The agenda of one coach: a month at most, so a page's audit rows and the query stay small.
MAX_COACH_AGENDA_DAYS = 31


def list_for_coach(
    *,
    uow: UnitOfWork,
    coach_id: uuid.UUID,
    principal: Principal,
    start: dt.date,
    end: dt.date,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[tuple[Appointment, Claim]], int]:
    """A coach's appointments starting on the local days `start`..`end`, with their claims.

    Readers: the coach themself, a team lead of the coach's office, benefits officers and
    admins; others 403. Every claim on the page is audited (`appointment.list`), so each
    claimant's access log shows who saw their name in an agenda (ADR 0022)."""
    if end < start:
        raise InvalidField("to", "must not be before `from`", location="query")
    if (end - start).days + 1 > MAX_COACH_AGENDA_DAYS:
        raise InvalidField(
            "to", f"the range may span at most {MAX_COACH_AGENDA_DAYS} days", location="query"
        )
    coach = uow.session.get(RosterCoach, coach_id)
    if coach is None:  # roster ids are no personal data; 404 before the row-level check
        raise NotFound("no such coach")
    national = principal.has_role(Role.BENEFITS_OFFICER, Role.ADMIN)
    own = principal.has_role(Role.COACH) and principal.subject == str(coach_id)
    lead = principal.has_role(Role.TEAM_LEAD) and principal.office == coach.office_code
    if not (national or own or lead):
        raise Forbidden("only the coach, their office's team lead or national staff")
    rows, total = repository.of_coach(
        uow.session,
        coach_id,
        after=local_to_utc(start, dt.time(0)),
        before=local_to_utc(end + dt.timedelta(days=1), dt.time(0)),
        status=status,
        limit=limit,
        offset=offset,
    )
    actor = principal.as_actor()
    uow.audit(
        actor=actor,
        action="coach.appointments.list",
        resource_type="coach",
        resource_id=coach_id,
        new={"from": start.isoformat(), "to": end.isoformat(), "offset": offset},
    )
    for claim_id in dict.fromkeys(c.id for _, c in rows):
        uow.audit(
            actor=actor, action="appointment.list", resource_type="claim", resource_id=claim_id
        )
    uow.commit()
    return rows, total


def list_unplanned(
    *,
    uow: UnitOfWork,
    office_code: str,
    actor: Actor,
    scope_office: str | None,
    offices: OfficeDirectory,
    limit: int,
    offset: int,
    scope: access.ClaimScope | None = None,
) -> tuple[Sequence[UnplannedClaim], int]:
    """An office's unplanned list in deadline order; an office-bound team lead only their own."""
    if offices.get(office_code) is None:
        raise NotFound("no such office")
    if scope_office is not None and scope_office != office_code:
        raise Forbidden("a team lead lists only the unplanned claims of their own office")
    if scope is not None and not scope.unbounded and office_code not in scope.offices:
        raise Forbidden("staff list only the unplanned claims of their own office")
    rows, total = repository.list_unplanned(uow.session, office_code, limit=limit, offset=offset)
    uow.audit(
        actor=actor,
        action="unplanned.list",
        resource_type="office",
        resource_id=office_code,
        new={"offset": offset},
    )
    if scope is not None and scope.break_glass is not None and office_code not in scope.offices:
        for row in rows:  # each claimant on the page sees the break-glass in their access log
            uow.audit(
                actor=actor,
                action="unplanned.list.break_glass",
                resource_type="claim",
                resource_id=row.claim_id,
                reason=scope.break_glass,
            )
    uow.commit()
    return rows, total
