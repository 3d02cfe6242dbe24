"""Work plan rules: activities, their status transitions and who may change what."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from coaching.cases.models import Case
from coaching.cases.service import case_for, require_open, visible_to
from coaching.workplans import repository
from coaching.workplans.models import WorkPlanActivity
from coaching.workplans.schemas import ActivityCreate, ActivityRead, ActivityUpdate, WorkPlanPage
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal
from shared.web.problems import (
    Conflict,
    Forbidden,
    IdempotencyKeyInProgress,
    IdempotencyKeyReuse,
    InvalidField,
    NotFound,
)

TRIAL_PLACEMENT_MAX_MONTHS = 2
"""Longest trial placement with retention of benefit, in calendar months (the placement
runs from `starts_on` up to the day before the same day `TRIAL_PLACEMENT_MAX_MONTHS` months
later). This is a policy parameter, not a law of nature: UWV may agree longer placements in
individual cases, and a future change belongs in the settings or reference data (it is a
constant here until a second value is needed; see docs/coaching-workbench.md)."""

DUE_ON_MAX_PAST = dt.timedelta(days=366)
"""A due date further back is a typo, not an activity (recording last month's application
after the fact is fine)."""

DUE_ON_MAX_AHEAD = dt.timedelta(days=2 * 366)
"""A due date further ahead is a typo: a work plan is reviewed long before then."""

TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"in_progress", "done", "cancelled"}),
    "in_progress": frozenset({"done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}
"""The statuses an activity may move to from each status; done and cancelled are final."""

FINAL_STATUSES = frozenset({"done", "cancelled"})
OPEN_STATUSES = frozenset({"planned", "in_progress"})

# Fields the claimant may change on any activity of their plan, on the activities they
# created themselves, and never (the trial placement's terms are agreed with the coach).
CLAIMANT_ANY_ACTIVITY = frozenset({"status", "outcome"})
CLAIMANT_OWN_ACTIVITY = frozenset({"status", "outcome", "description", "due_on"})
CLAIMANT_STATUSES_ANY = frozenset({"in_progress", "done"})
CLAIMANT_STATUSES_OWN = frozenset({"in_progress", "done", "cancelled"})

# The one field a final (done or cancelled) activity still accepts.
FINAL_EDITABLE = frozenset({"outcome"})


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day if it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_transition(current: str, target: str) -> None:
    """409 unless `target` is a status the activity may move to from `current`."""
    allowed = TRANSITIONS[current]
    if target not in allowed:
        if allowed:
            way = "allowed: " + ", ".join(sorted(allowed))
        else:
            way = f"{current} is final; add a new activity instead"
        raise Conflict(
            f"an activity cannot move from {current} to {target} ({way})",
            current_status=current,
            allowed_statuses=sorted(allowed),
        )


def check_plausible(field: str, day: dt.date, today: dt.date) -> None:
    """422 naming `field` for a day implausibly far in the past or the future (the window
    of a due date; it also keeps date arithmetic far from year 9999)."""
    if day < today - DUE_ON_MAX_PAST:
        raise InvalidField(field, "lies more than a year in the past")
    if day > today + DUE_ON_MAX_AHEAD:
        raise InvalidField(field, "lies more than two years ahead")


def check_due_on(due_on: dt.date, today: dt.date) -> None:
    """422 for a due date implausibly far in the past or the future."""
    check_plausible("due_on", due_on, today)


def check_dates(*, starts_on: dt.date | None, ends_on: dt.date | None, today: dt.date) -> None:
    """An activity's period lies in the window of a due date (422 naming the field)."""
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if value is not None:
            check_plausible(name, value, today)


def check_period(
    *, kind: str, employer: str | None, starts_on: dt.date | None, ends_on: dt.date | None
) -> None:
    """A trial placement needs an employer and a period of at most
    `TRIAL_PLACEMENT_MAX_MONTHS`; any activity's period ends on or after its start."""
    if kind == "trial_placement":
        for name, value in (("employer", employer), ("starts_on", starts_on), ("ends_on", ends_on)):
            if value is None:
                raise InvalidField(name, "is required for a trial placement")
    if starts_on is not None and ends_on is not None:
        if ends_on < starts_on:
            raise InvalidField("ends_on", "lies before starts_on")
        if kind == "trial_placement" and ends_on >= add_months(
            starts_on, TRIAL_PLACEMENT_MAX_MONTHS
        ):
            raise InvalidField(
                "ends_on",
                f"a trial placement lasts at most {TRIAL_PLACEMENT_MAX_MONTHS} months "
                f"(last possible day: "
                f"{(add_months(starts_on, TRIAL_PLACEMENT_MAX_MONTHS) - dt.timedelta(days=1))})",
            )


def check_claimant_change(
    *, activity_created_by: str, changes: dict[str, Any], target_status: str | None
) -> None:
    """403 for a change the claimant may not make (docs/coaching-workbench.md): on any
    activity they report progress (in_progress, done) and the outcome; on the activities
    they added themselves they may also edit description and due date, or cancel them."""
    own = activity_created_by == "claimant"
    allowed_fields = CLAIMANT_OWN_ACTIVITY if own else CLAIMANT_ANY_ACTIVITY
    refused = sorted(set(changes) - allowed_fields)
    if refused:
        raise Forbidden(
            "a claimant may not change "
            + ", ".join(refused)
            + (" of an activity agreed with the coach" if not own else "")
        )
    allowed_statuses = CLAIMANT_STATUSES_OWN if own else CLAIMANT_STATUSES_ANY
    if target_status is not None and target_status not in allowed_statuses:
        raise Forbidden(
            f"a claimant may not set an activity agreed with the coach to {target_status}"
        )


def is_overdue(activity: WorkPlanActivity, today: dt.date) -> bool:
    """Still open after its due date."""
    return activity.status in OPEN_STATUSES and activity.due_on < today


def to_read(activity: WorkPlanActivity, case: Case, today: dt.date) -> ActivityRead:
    """The API view of an activity as of `today`."""
    return ActivityRead(
        id=activity.id,
        claim_id=case.claim_id,
        kind=activity.kind,  # type: ignore[arg-type]
        description=activity.description,
        due_on=activity.due_on,
        status=activity.status,  # type: ignore[arg-type]
        outcome=activity.outcome,
        employer=activity.employer,
        starts_on=activity.starts_on,
        ends_on=activity.ends_on,
        overdue=is_overdue(activity, today),
        created_by_kind=activity.created_by_kind,  # type: ignore[arg-type]
        updated_by_kind=activity.updated_by_kind,  # type: ignore[arg-type]
        version=activity.version,
        created_at=activity.created_at,
        updated_at=activity.updated_at,
        status_changed_at=activity.status_changed_at,
    )


def _audit_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


_CREATE_FIELDS = ("kind", "description", "due_on", "employer", "starts_on", "ends_on")


def _same_request(activity: WorkPlanActivity, data: ActivityCreate) -> bool:
    return all(getattr(activity, f) == getattr(data, f) for f in _CREATE_FIELDS)


@dataclass(frozen=True)
class Created:
    """The created activity, or the one an `Idempotency-Key` retry replays."""

    activity: ActivityRead
    replayed: bool


def _actor_kind(principal: Principal, case: Case, today: dt.date) -> str:
    return "staff" if visible_to(principal, case, today) else "claimant"


def create_activity(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    data: ActivityCreate,
    idempotency_key: str | None,
    today: dt.date,
) -> Created:
    """Add an activity to the case's work plan (staff of the case, or the claimant)."""
    case = case_for(
        uow=uow,
        claim_id=claim_id,
        principal=principal,
        allow_claimant=True,
        action="workplan.activity_create",
        audit=False,
    )
    actor = principal.as_actor()
    if idempotency_key is not None:
        existing = repository.by_idempotency_key(uow.session, case.id, idempotency_key)
        if existing is not None:
            if not _same_request(existing, data):
                raise IdempotencyKeyReuse(
                    "this Idempotency-Key was already used on this case for another activity"
                )
            uow.audit(
                actor=actor,
                action="workplan.activity_create_replayed",
                resource_type="work_plan_activity",
                resource_id=existing.id,
            )
            read = to_read(existing, case, today)
            uow.commit()
            return Created(read, replayed=True)
    # Serialise with a concurrent closure: the case is checked open under its row lock.
    uow.session.refresh(case, with_for_update=True)
    require_open(case)
    kind = _actor_kind(principal, case, today)
    if kind == "claimant" and data.kind == "trial_placement":
        raise Forbidden("a trial placement is agreed with the coach; a claimant cannot add one")
    check_due_on(data.due_on, today)
    check_dates(starts_on=data.starts_on, ends_on=data.ends_on, today=today)
    check_period(
        kind=data.kind, employer=data.employer, starts_on=data.starts_on, ends_on=data.ends_on
    )
    now = utcnow()
    activity = WorkPlanActivity(
        id=uuid.uuid4(),
        case_id=case.id,
        kind=data.kind,
        description=data.description,
        due_on=data.due_on,
        status="planned",
        employer=data.employer,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        created_by_kind=kind,
        updated_by_kind=kind,
        idempotency_key=idempotency_key,
        version=1,
        created_at=now,
        updated_at=now,
    )
    repository.add(uow.session, activity)
    try:
        uow.session.flush()
    except IntegrityError:
        raise IdempotencyKeyInProgress(
            "another request with this Idempotency-Key is being processed; retry shortly"
        ) from None
    uow.audit(
        actor=actor,
        action="workplan.activity_create",
        resource_type="work_plan_activity",
        resource_id=activity.id,
        new={"case_id": str(case.id), "status": "planned"}
        | {f: _audit_value(getattr(activity, f)) for f in _CREATE_FIELDS},
    )
    read = to_read(activity, case, today)
    uow.commit()
    return Created(read, replayed=False)


def get_activity(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    activity_id: uuid.UUID,
    principal: Principal,
    today: dt.date,
) -> ActivityRead:
    """One activity of a case the caller may see (audited as a read)."""
    case = case_for(
        uow=uow, claim_id=claim_id, principal=principal, allow_claimant=True, audit=False
    )
    activity = repository.by_id(uow.session, case.id, activity_id)
    if activity is None:
        raise NotFound("no such activity")
    uow.audit(
        actor=principal.as_actor(),
        action="workplan.activity_read",
        resource_type="work_plan_activity",
        resource_id=activity.id,
    )
    read = to_read(activity, case, today)
    uow.commit()
    return read


def list_activities(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    statuses: list[str],
    kind: str | None,
    sort: str,
    limit: int,
    offset: int,
    today: dt.date,
) -> WorkPlanPage:
    """A page of the case's work plan (audited as `workplan.read` of the case)."""
    case = case_for(
        uow=uow, claim_id=claim_id, principal=principal, allow_claimant=True, action="workplan.read"
    )
    rows, total = repository.list_activities(
        uow.session,
        case_id=case.id,
        statuses=statuses,
        kind=kind,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    open_n, overdue_n = repository.open_counts(uow.session, case.id, today)
    page = WorkPlanPage(
        items=[to_read(a, case, today) for a in rows],
        total=total,
        limit=limit,
        offset=offset,
        open_activities=open_n,
        overdue_activities=overdue_n,
    )
    uow.commit()
    return page


def update_activity(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    activity_id: uuid.UUID,
    principal: Principal,
    data: ActivityUpdate,
    if_match: int | None,
    today: dt.date,
) -> ActivityRead:
    """Change an activity: its status (along `TRANSITIONS`), outcome or terms.

    Optimistic concurrency: the caller names the version it read (`version` or `If-Match`);
    another version is 409, except for a retry whose changes are already in place, which
    answers the current state (so a repeated request is harmless).
    """
    case = case_for(
        uow=uow,
        claim_id=claim_id,
        principal=principal,
        allow_claimant=True,
        action="workplan.activity_update",
        audit=False,
    )
    # Lock order: the case row, then the activity (a closure locks the case alike).
    uow.session.refresh(case, with_for_update=True)
    activity = repository.by_id(uow.session, case.id, activity_id, for_update=True)
    if activity is None:
        raise NotFound("no such activity")
    if data.version is not None and if_match is not None and data.version != if_match:
        raise InvalidField("version", "differs from the If-Match header")
    expected = data.version if data.version is not None else if_match
    if expected is None:
        raise InvalidField("version", "send the version you last read (or an If-Match header)")
    changes = {f: getattr(data, f) for f in data.model_fields_set if f != "version"}
    for name in ("status", "description", "due_on"):
        if name in changes and changes[name] is None:
            raise InvalidField(name, "may not be null")
    effective = {f: v for f, v in changes.items() if getattr(activity, f) != v}
    actor = principal.as_actor()
    if not effective:
        # Nothing to change (or a retry that already succeeded): the current state.
        uow.audit(
            actor=actor,
            action="workplan.activity_update_unchanged",
            resource_type="work_plan_activity",
            resource_id=activity.id,
        )
        read = to_read(activity, case, today)
        uow.commit()
        return read
    require_open(case)
    if expected != activity.version:
        raise Conflict(
            f"the activity was changed since version {expected} (it is at version "
            f"{activity.version}); reload it and apply the change again",
            current_version=activity.version,
        )
    target = effective.get("status")
    if _actor_kind(principal, case, today) == "claimant":
        check_claimant_change(
            activity_created_by=activity.created_by_kind, changes=effective, target_status=target
        )
        kind = "claimant"
    else:
        kind = "staff"
    if activity.status in FINAL_STATUSES:
        locked = sorted(set(effective) - FINAL_EDITABLE)
        if locked:
            raise Conflict(
                f"the activity is {activity.status}, which is final: only its outcome can "
                f"change (not {', '.join(locked)})",
                current_status=activity.status,
                allowed_statuses=[],
            )
    if target is not None:
        check_transition(activity.status, target)
    if "due_on" in effective:
        check_due_on(effective["due_on"], today)
    check_dates(starts_on=effective.get("starts_on"), ends_on=effective.get("ends_on"), today=today)
    if {"employer", "starts_on", "ends_on"} & set(effective):
        check_period(
            kind=activity.kind,
            employer=effective.get("employer", activity.employer),
            starts_on=effective.get("starts_on", activity.starts_on),
            ends_on=effective.get("ends_on", activity.ends_on),
        )
    old = {f: _audit_value(getattr(activity, f)) for f in effective}
    now = utcnow()
    for name, value in effective.items():
        setattr(activity, name, value)
    if target is not None:
        activity.status_changed_at = now
    activity.version += 1
    activity.updated_by_kind = kind
    activity.updated_at = now
    uow.audit(
        actor=actor,
        action="workplan.activity_update",
        resource_type="work_plan_activity",
        resource_id=activity.id,
        old=old | {"version": activity.version - 1},
        new={f: _audit_value(v) for f, v in effective.items()} | {"version": activity.version},
    )
    read = to_read(activity, case, today)
    uow.commit()
    return read
