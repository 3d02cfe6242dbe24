"""Consent and profile rules, and the partner candidate search with its daily cap.

- The claimant alone sets their consent (`none` | `anonymous` | `named`) and profile; a
  coach, team lead or admin who may see the case reads it. Every change is audited and
  effective in the same transaction: the search reads the same row.
- Partners find only searchable profiles (consent given, case open), in `candidate_ref`
  order. Every query is logged (`partner_search_log`), also a refused one; the profiles
  shown are counted per client per Dutch calendar day against the client's daily cap.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import Any

from coaching.cases import service as cases
from coaching.cases.models import Case
from coaching.partner.candidates import repository
from coaching.partner.candidates.models import (
    NAMED,
    NONE,
    PartnerProfile,
    PartnerSearchLog,
)
from coaching.partner.candidates.schemas import (
    CandidateFilters,
    CandidateRead,
    PartnerProfileRead,
    PartnerProfileUpdate,
)
from coaching.partner.clients.service import client_limits
from coaching.partner.webhooks import service as webhooks
from coaching.partner.webhooks.models import CONSENT_WITHDRAWN
from shared.clock import LOCAL_TZ, local_today
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.reference import load_offices
from shared.reference.sectors import WHERE_TO_FIND, to_sector_code
from shared.web.auth import Principal
from shared.web.problems import InvalidField, NotFound, RateLimited

# Only for a client without limits of its own (`partner_access` lets no such client in).
DEFAULT_DAILY_PROFILE_CAP = 200
MAX_PAGE = 50


class DailyCapReached(RateLimited):
    """The client was shown its daily number of profiles (429 until local midnight)."""

    def __init__(self, detail: str, *, retry_after: int, daily_cap: int) -> None:
        super().__init__(detail, retry_after=retry_after, daily_cap=daily_cap)
        self.retry_after = retry_after


def daily_profile_cap(uow: UnitOfWork, client_id: str) -> int:
    """Distinct profiles the client may see per Dutch calendar day (its own limit)."""
    limits = client_limits(uow.session, client_id)
    return DEFAULT_DAILY_PROFILE_CAP if limits is None else limits.daily_profile_cap


def seconds_to_local_midnight(now: dt.datetime) -> int:
    """Whole seconds (at least 1) until the next Dutch calendar day starts."""
    tomorrow = local_today(now) + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(0), tzinfo=LOCAL_TZ)
    return max(1, math.ceil((midnight - now).total_seconds()))


def office_region(office_code: str | None) -> str | None:
    """The 2-digit postcode region of the office's first postcode range (`AMS` -> `10`)."""
    office = None if office_code is None else load_offices().get(office_code)
    if office is None or not office.postcode_ranges:
        return None
    return f"{office.postcode_ranges[0][0] // 100:02d}"


def to_profile_read(profile: PartnerProfile | None) -> PartnerProfileRead:
    """The claimant's view of their profile (`none` and empty when never set)."""
    if profile is None:
        return PartnerProfileRead(
            visibility="none",
            visible=False,
            candidate_ref=None,
            skills=[],
            hours_per_week=None,
            available_from=None,
            region=None,
            sector=None,
            display_name=None,
            consent_changed_at=None,
            updated_at=None,
        )
    return PartnerProfileRead.model_validate(
        {
            "visibility": profile.visibility,
            "visible": profile.searchable,
            "candidate_ref": profile.candidate_ref,
            "skills": profile.skills,
            "hours_per_week": profile.hours_per_week,
            "available_from": profile.available_from,
            "region": profile.region,
            "sector": profile.sector,
            "display_name": profile.display_name,
            "consent_changed_at": profile.consent_changed_at,
            "updated_at": profile.updated_at,
        }
    )


def to_candidate(profile: PartnerProfile) -> CandidateRead:
    """The partner's view: no ids but the candidate_ref; a name only with named consent."""
    return CandidateRead(
        candidate_ref=profile.candidate_ref,
        visibility="named" if profile.visibility == NAMED else "anonymous",
        display_name=profile.display_name if profile.visibility == NAMED else None,
        skills=list(profile.skills),
        hours_per_week=profile.hours_per_week,
        available_from=profile.available_from,
        region=profile.region,
        sector=profile.sector,
    )


def get_profile(
    *, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal
) -> PartnerProfileRead:
    """The claimant their own; staff who may see the case (read-only); else 404. Audited."""
    case = cases.case_for(
        uow=uow,
        claim_id=claim_id,
        principal=principal,
        allow_claimant=True,
        action="partner_profile.read",
    )
    read = to_profile_read(repository.profile_of_case(uow.session, case.id))
    uow.commit()
    return read


def _snapshot(profile: PartnerProfile | None) -> dict[str, object]:
    if profile is None:
        return {"visibility": NONE}
    return {
        "visibility": profile.visibility,
        "searchable": profile.searchable,
        "skills": len(profile.skills),
        "hours_per_week": profile.hours_per_week,
        "available_from": None
        if profile.available_from is None
        else profile.available_from.isoformat(),
        "region": profile.region,
        "sector": profile.sector,
        "display_name": "set" if profile.display_name else None,
    }


def set_profile(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    principal: Principal,
    body: PartnerProfileUpdate,
) -> PartnerProfileRead:
    """The claimant sets their consent and profile (their own case only, else 404).

    Showing the profile (`anonymous`, `named`) needs an open case (409) and hours and
    availability (422); `none` is always allowed, also on a closed case. Withdrawing
    consent queues `consent.withdrawn` for every agency that saw the candidate.
    """
    case = cases.case_for(
        uow=uow, claim_id=claim_id, principal=principal, allow_claimant=True, audit=False
    )
    if not cases.claimant_owns(principal, case):
        raise NotFound("no such case")  # staff read the profile; only the claimant consents
    cases.lock_case(uow, case)
    profile = repository.profile_of_case(uow.session, case.id)
    old = _snapshot(profile)
    if body.visibility != NONE:
        cases.require_open(case)
    fields = _resolve(case, body)
    now = utcnow()
    was_searchable = profile is not None and profile.searchable
    if profile is None:
        profile = PartnerProfile(
            id=uuid.uuid4(),
            case_id=case.id,
            candidate_ref=uuid.uuid4(),
            visibility=NONE,
            consent_changed_at=now,
            created_at=now,
        )
        uow.session.add(profile)
    if profile.visibility != body.visibility:
        profile.consent_changed_at = now
    profile.visibility = body.visibility
    profile.display_name = body.display_name if body.visibility == NAMED else None
    profile.skills = fields.skills
    profile.hours_per_week = body.hours_per_week
    profile.available_from = body.available_from
    profile.region = fields.region
    profile.sector = fields.sector
    profile.case_open = case.status == "open"
    profile.searchable = profile.case_open and body.visibility != NONE
    profile.updated_at = now
    uow.session.flush()
    uow.audit(
        actor=principal.as_actor(),
        action="partner_profile.update",
        resource_type="case",
        resource_id=case.id,
        reason=f"visibility {old['visibility']} -> {body.visibility}",
        old=old,
        new=_snapshot(profile),
    )
    if was_searchable and body.visibility == NONE:
        webhooks.notify_viewers(
            uow=uow,
            candidate_ref=profile.candidate_ref,
            event_type=CONSENT_WITHDRAWN,
            occurred_at=now,
        )
    read = to_profile_read(profile)
    uow.commit()
    return read


@dataclass(frozen=True)
class _Fields:
    region: str | None
    sector: str | None
    skills: list[str]


def _resolve(case: Case, body: PartnerProfileUpdate) -> _Fields:
    region = body.region or office_region(case.office_code)
    # A case registered before sector codes were enforced may still hold free text.
    sector = body.sector or to_sector_code(case.sector)
    skills = list(dict.fromkeys(body.skills))
    if body.visibility != NONE:
        if body.hours_per_week is None:
            raise InvalidField("hours_per_week", "required to show the profile")
        if body.available_from is None:
            raise InvalidField("available_from", "required to show the profile")
        if body.available_from > local_today() + dt.timedelta(days=366):
            raise InvalidField("available_from", "more than a year ahead")
        if region is None:
            raise InvalidField("region", "required: the case's office has no postcode region")
        if sector is None:
            raise InvalidField("sector", f"required: the case has no sector; {WHERE_TO_FIND}")
    if body.visibility == NAMED and not body.display_name:
        raise InvalidField("display_name", "required for named visibility")
    return _Fields(region=region, sector=sector, skills=skills)


@dataclass(frozen=True)
class _Query:
    """What the search log records of one partner query."""

    client_id: str
    kind: str  # search | profile
    filters: dict[str, Any]


def _log(
    uow: UnitOfWork, q: _Query, *, outcome: str, refs: list[uuid.UUID], at: dt.datetime
) -> None:
    uow.session.add(
        PartnerSearchLog(
            client_id=q.client_id,
            kind=q.kind,
            filters=q.filters,
            outcome=outcome,
            result_count=len(refs),
            candidate_refs=[str(r) for r in refs],
            at=at,
        )
    )


def _refuse(uow: UnitOfWork, q: _Query, *, cap: int, now: dt.datetime) -> DailyCapReached:
    _log(uow, q, outcome="capped", refs=[], at=now)
    uow.commit()
    return DailyCapReached(
        f"the daily number of profiles ({cap}) was shown; try again after midnight "
        "(Europe/Amsterdam)",
        retry_after=seconds_to_local_midnight(now),
        daily_cap=cap,
    )


def search(
    *,
    uow: UnitOfWork,
    client_id: str,
    filters: CandidateFilters,
    after: uuid.UUID | None,
    limit: int,
    now: dt.datetime | None = None,
) -> tuple[list[CandidateRead], uuid.UUID | None]:
    """A page of candidates and the cursor of the next (None at the end).

    Profiles already shown to the client today do not count again. A page that would
    pass the cap is cut short (its cursor continues after the last shown); once the cap
    is reached, 429 until local midnight. Logged with its outcome and the refs returned.
    """
    now = now or utcnow()
    today = local_today(now)
    limit = min(limit, MAX_PAGE)
    q = _Query(client_id, "search", _with_page(filters, after, limit))
    repository.lock_client_views(uow.session, client_id)
    cap = daily_profile_cap(uow, client_id)
    shown = repository.views_on(uow.session, client_id, today)
    if shown >= cap:
        raise _refuse(uow, q, cap=cap, now=now)
    rows = repository.search(uow.session, filters, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    seen = repository.seen_among(uow.session, client_id, today, (r.candidate_ref for r in rows))
    allowance = cap - shown
    kept: list[PartnerProfile] = []
    for row in rows:
        if row.candidate_ref not in seen:
            if allowance == 0:
                more = True
                break
            allowance -= 1
        kept.append(row)
    refs = [r.candidate_ref for r in kept]
    repository.record_views(uow.session, client_id, today, (r for r in refs if r not in seen), now)
    _log(uow, q, outcome="ok", refs=refs, at=now)
    items = [to_candidate(r) for r in kept]
    uow.commit()
    return items, (refs[-1] if more and refs else None)


def _with_page(filters: CandidateFilters, after: uuid.UUID | None, limit: int) -> dict[str, Any]:
    return {**filters.as_log(), "after": None if after is None else str(after), "limit": limit}


def view(
    *, uow: UnitOfWork, client_id: str, candidate_ref: uuid.UUID, now: dt.datetime | None = None
) -> CandidateRead:
    """One candidate (404 unless findable now); counts towards the daily cap unless the
    client was shown them today already. Logged."""
    now = now or utcnow()
    today = local_today(now)
    q = _Query(client_id, "profile", {"candidate_ref": str(candidate_ref)})
    repository.lock_client_views(uow.session, client_id)
    profile = repository.visible_profile(uow.session, candidate_ref)
    if profile is None:
        _log(uow, q, outcome="not_found", refs=[], at=now)
        uow.commit()
        raise NotFound("no such candidate")
    if not repository.seen_among(uow.session, client_id, today, [candidate_ref]):
        cap = daily_profile_cap(uow, client_id)
        if repository.views_on(uow.session, client_id, today) >= cap:
            raise _refuse(uow, q, cap=cap, now=now)
        repository.record_views(uow.session, client_id, today, [candidate_ref], now)
    _log(uow, q, outcome="ok", refs=[candidate_ref], at=now)
    read = to_candidate(profile)
    uow.commit()
    return read
