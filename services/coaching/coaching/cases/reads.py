"""Reading cases: one case, the filtered caseload lists and an office's overview, with
the computed fields of a case (weeks in WW, the next action, the obligation status).

The access rules are `coaching.cases.service` (`case_for`); the row-level narrowing of
the lists is here, with the audit row of each read, which the read commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from coaching.assignment import service as assignment
from coaching.assignment.rules import AssignmentPolicy
from coaching.cases import repository
from coaching.cases.models import Case
from coaching.cases.schemas import (
    CaseRead,
    CoachCaseload,
    OfficeCaseload,
    OfficeCaseloadTotals,
)
from coaching.cases.service import case_for
from coaching.cases.summary import summarise
from shared.clock import local_today
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal, Role
from shared.web.pagination import Page, PageParams
from shared.web.problems import Forbidden


def get_case(*, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal) -> Case:
    """The case of a claim if the caller may see it (otherwise it does not exist for them)."""
    case = case_for(uow=uow, claim_id=claim_id, principal=principal)
    uow.commit()
    return case


def weeks_in_ww(first_ww_day: dt.date | None, today: dt.date) -> int | None:
    """Whole weeks since the first WW day (0 in the first week and before it starts)."""
    if first_ww_day is None:
        return None
    return max(0, (today - first_ww_day).days // 7)


def next_action(case: Case) -> tuple[str | None, dt.date | None]:
    """What the case waits for, from what coaching knows today (docs/api.md, coaching).

    - closed: nothing (None);
    - no segment yet: "await triage";
    - personal, not decided yet (assignment waits for the intake or a final score):
      "await intake";
    - in the team lead's queue: "assign coach";
    - digital service: "check-in on <date>" (the re-triage date);
    - assigned to a coach: "plan first contact"; the caseload views refine this from the
      case's tasks, contact moments and work plan (`coaching.cases.summary`).
    """
    if case.status != "open":
        return None, None
    if case.assignment_status == "digital":
        if case.checkin_on is None:
            return "check-in", None
        return f"check-in on {case.checkin_on.isoformat()}", case.checkin_on
    if case.assignment_status == "unassigned":
        return "assign coach", None
    if case.assignment_status == "assigned" or case.coach_id is not None:
        return "plan first contact", None
    if case.segment is None:
        return "await triage", None
    return "await intake", None


def to_reads(session: Session, rows: Sequence[Case], today: dt.date) -> list[CaseRead]:
    """Cases with their computed fields as of `today`: weeks in WW, the next action and
    the job-search obligation status (`coaching.cases.summary`; a fixed number of queries
    per page)."""
    summaries = summarise(session, rows, today, simple={c.id: next_action(c) for c in rows})
    out: list[CaseRead] = []
    for case in rows:
        summary = summaries[case.id]
        read = CaseRead.model_validate(case, from_attributes=True)
        out.append(
            read.model_copy(
                update={
                    "weeks_in_ww": weeks_in_ww(case.first_ww_day, today),
                    "next_action": summary.next_action,
                    "next_action_on": summary.next_action_on,
                    "obligation_status": summary.obligation_status,
                }
            )
        )
    return out


def to_read(session: Session, case: Case, today: dt.date) -> CaseRead:
    """One case with its computed fields (see `to_reads`)."""
    return to_reads(session, [case], today)[0]


def list_cases(
    *,
    uow: UnitOfWork,
    principal: Principal,
    page: PageParams,
    office_code: str | None,
    segment: str | None,
    status: str | None,
    assignment_status: str | None,
    no_show_flag: bool | None,
    sort: str,
) -> Page[CaseRead]:
    """A filtered, sorted page of cases, narrowed by the row-level rules: an admin all, a
    team lead their own office (another office is 403), a coach their own caseload and the
    cases they cover. Audited as `case.list` (the page's offset); commits the audit row."""
    coach_id: uuid.UUID | None = None
    if not principal.has_role(Role.ADMIN):
        if principal.has_role(Role.TEAM_LEAD):
            if principal.office is None:
                raise Forbidden("a team lead token must name an office")
            if office_code not in (None, principal.office):
                raise Forbidden("a team lead sees only their own office")
            office_code = principal.office
        else:
            try:
                coach_id = uuid.UUID(principal.subject)
            except ValueError:
                raise Forbidden("a coach token's subject must be the coach id") from None
    rows, total = repository.list_cases(
        uow.session,
        office_code=office_code,
        coach_id=coach_id,
        segment=segment,
        status=status,
        assignment_status=assignment_status,
        no_show_flag=no_show_flag,
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )
    uow.audit(
        actor=principal.as_actor(),
        action="case.list",
        resource_type="case",
        resource_id=f"page:{page.offset}",
    )
    items = to_reads(uow.session, rows, local_today())
    uow.commit()
    return Page[CaseRead](items=items, total=total, limit=page.limit, offset=page.offset)


def unassigned_cases(
    *, uow: UnitOfWork, office_code: str, principal: Principal, page: PageParams
) -> Page[CaseRead]:
    """The team lead's queue of an office (oldest first): a team lead their own office
    (another office is 403), an admin any office. Audited; commits the audit row."""
    if not principal.has_role(Role.ADMIN) and principal.office != office_code:
        raise Forbidden("a team lead sees only their own office")
    rows, total = assignment.unassigned_cases(
        uow, office_code=office_code, limit=page.limit, offset=page.offset
    )
    uow.audit(
        actor=principal.as_actor(),
        action="case.list_unassigned",
        resource_type="office",
        resource_id=f"{office_code}:page:{page.offset}",
    )
    items = to_reads(uow.session, rows, local_today())
    uow.commit()
    return Page[CaseRead](items=items, total=total, limit=page.limit, offset=page.offset)


def office_caseload(
    *, uow: UnitOfWork, office_code: str, principal: Principal, policy: AssignmentPolicy
) -> OfficeCaseload:
    """The team lead's overview: load per coach of the office, highest relative load first.

    A team lead their own office (another office is 403), an admin any office. Counts and
    roster data only, no claimant data: not audited.
    """
    if not principal.has_role(Role.ADMIN) and principal.office != office_code:
        raise Forbidden("a team lead sees only their own office")
    listed, unassigned, digital = repository.office_caseload(uow.session, office_code)
    coaches: list[CoachCaseload] = []
    for coach, load in listed:
        maximum = policy.max_caseload(coach.contract_hours)
        coaches.append(
            CoachCaseload(
                coach_id=coach.id,
                display_name=coach.display_name,
                active=coach.active,
                contract_hours=coach.contract_hours,
                open_cases=load,
                max_caseload=maximum,
                relative_load=load / coach.contract_hours if coach.contract_hours > 0 else 0.0,
                share_of_max=load / maximum if maximum > 0 else None,
            )
        )
    coaches.sort(key=lambda c: (-c.relative_load, c.display_name, str(c.coach_id)))
    return OfficeCaseload(
        office_code=office_code,
        max_cases_per_contract_hour=policy.max_cases_per_contract_hour,
        coaches=coaches,
        totals=OfficeCaseloadTotals(
            coaches=len(coaches),
            assigned_cases=sum(c.open_cases for c in coaches),
            max_caseload=sum(c.max_caseload for c in coaches if c.active),
            unassigned_cases=unassigned,
            digital_cases=digital,
        ),
    )
