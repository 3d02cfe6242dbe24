"""Claim registration and look-up rules; no FastAPI here.

The idempotency of a registration lives in `idempotency`, the refusal rules of ADR 0025
(own BSN only, rate-limited refusals) in `refusals`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from intake.access import service as access
from intake.appointments import runs as booking
from intake.claims import refusals, repository, states
from intake.claims.idempotency import (
    IdempotencyRequest,
    RegistrationResponse,
    replay_stored,
    request_hash,
    store_response,
)
from intake.claims.models import Claim
from intake.claims.refusals import RegistrationCaller
from intake.claims.rules import refuse_unfit_answers
from intake.claims.schemas import ClaimCreate, ClaimFilter, ClaimRead, UnavailableTime
from intake.settings import IntakeSettings
from shared.bsn import BsnVault, mask_bsn
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.common import RegistrationChannel
from shared.events.intake import ClaimRegistered
from shared.reference import InvalidPostcodeError, Office, OfficeDirectory
from shared.web.problems import Conflict, Forbidden, InvalidField, NotFound
from shared.web.problems import IdempotencyKeyInProgress as IdempotencyKeyInProgressError


class OpenClaimExistsError(Conflict):
    """A BSN may have only one open claim."""

    slug = "open-claim-exists"
    title = "An open claim already exists for this BSN"


def read_model(claim: Claim, *, bsn_masked: str) -> ClaimRead:
    """The response model of a claim (the caller supplies the masked BSN)."""
    return ClaimRead(
        id=claim.id,
        status=claim.status,
        bsn_masked=bsn_masked,
        given_name=claim.given_name,
        family_name=claim.family_name,
        date_of_birth=claim.date_of_birth,
        email=claim.email,
        phone=claim.phone,
        preferred_language=claim.preferred_language,
        street=claim.street,
        house_number=claim.house_number,
        city=claim.city,
        contact_preference=claim.contact_preference,
        sms_notifications=claim.sms_notifications if claim.sms_notifications is not None else True,
        first_ww_day=claim.first_ww_day,
        postcode=claim.postcode,
        office_code=claim.office_code,
        last_employer=claim.last_employer,
        sector=claim.sector,
        hours_lost_per_week=claim.hours_lost_per_week,
        years_work_history=claim.years_work_history,
        education_level=claim.education_level,
        questionnaire_answers=claim.questionnaire_answers,
        unavailable=[UnavailableTime.model_validate(u) for u in claim.unavailable or []],
        no_show_count=claim.no_show_count or 0,
        attention_reason=claim.attention_reason,
        attention_since=claim.attention_since,
        channel=claim.channel,
        registered_at=claim.registered_at,
        closed_at=claim.closed_at,
        closed_on=claim.closed_on,
        close_reason=claim.close_reason,
        reopen_refused_at=claim.reopen_refused_at,
        allowed_actions=states.allowed_actions(claim.status),
    )


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def validate_dates(data: ClaimCreate, *, settings: IntakeSettings, today: dt.date) -> int:
    """Apply the configurable date windows; return the age on the first WW day."""
    earliest = today - dt.timedelta(days=settings.first_ww_day_max_past_days)
    latest = today + dt.timedelta(days=settings.first_ww_day_max_future_days)
    if not earliest <= data.first_ww_day <= latest:
        raise InvalidField(
            "first_ww_day", f"must lie between {earliest.isoformat()} and {latest.isoformat()}"
        )
    age = _age_on(data.date_of_birth, data.first_ww_day)
    if not settings.min_age <= age <= settings.max_age:
        raise InvalidField(
            "date_of_birth",
            f"age on the first WW day must be {settings.min_age}-{settings.max_age}",
        )
    return age


def effective_channel(
    data: ClaimCreate, principal_channel: RegistrationChannel
) -> RegistrationChannel:
    """Staff may register on an employer's behalf; nobody else may claim to be the employer."""
    if not data.registered_by_employer:
        return principal_channel
    if principal_channel is not RegistrationChannel.STAFF:
        raise InvalidField("registered_by_employer", "only staff register on an employer's behalf")
    return RegistrationChannel.EMPLOYER


def _validated(
    data: ClaimCreate, *, offices: OfficeDirectory, settings: IntakeSettings, today: dt.date
) -> tuple[int, Office]:
    """The checks beyond the schema: date windows, unfit answers, a known postcode; returns
    the age on the first WW day and the office serving the postcode."""
    age = validate_dates(data, settings=settings, today=today)
    refuse_unfit_answers(data.questionnaire_answers)
    try:
        office = offices.for_postcode(data.postcode)
    except InvalidPostcodeError as exc:
        raise InvalidField("postcode", str(exc)) from None
    return age, office


def _new_claim(
    data: ClaimCreate,
    *,
    bsn: str,
    bsn_hash: str,
    vault: BsnVault,
    office: Office,
    channel: RegistrationChannel,
    actor: Actor,
    claimant_subject: str | None,
) -> Claim:
    """The claim row of a registration (the BSN encrypted, never stored in the clear)."""
    return Claim(
        id=uuid.uuid4(),
        bsn_ciphertext=vault.encrypt(bsn),
        bsn_hash=bsn_hash,
        status="open",
        given_name=data.given_name,
        family_name=data.family_name,
        date_of_birth=data.date_of_birth,
        email=data.email,
        phone=data.phone,
        preferred_language=data.preferred_language,
        street=data.street,
        house_number=data.house_number,
        city=data.city,
        contact_preference=data.contact_preference,
        sms_notifications=data.sms_notifications,
        first_ww_day=data.first_ww_day,
        postcode=data.postcode,
        office_code=office.code,
        last_employer=data.last_employer,
        sector=data.sector,
        hours_lost_per_week=data.hours_lost_per_week,
        years_work_history=data.years_work_history,
        education_level=data.education_level,
        questionnaire_answers=data.questionnaire_answers,
        unavailable=[u.model_dump(mode="json", exclude_none=True) for u in data.unavailable]
        or None,
        no_show_count=0,
        channel=channel.value,
        registered_by=actor.subject,
        claimant_subject=claimant_subject,
        registered_at=dt.datetime.now(dt.UTC),
    )


def _publish_registered(
    uow: UnitOfWork,
    claim: Claim,
    data: ClaimCreate,
    *,
    age: int,
    channel: RegistrationChannel,
    actor: Actor,
) -> None:
    """Queue `claim.registered` in the outbox and audit the registration."""
    # Name, contact details and last employer stay in intake: never in the event.
    uow.publish(
        ClaimRegistered(
            claim_id=claim.id,
            office_code=claim.office_code,
            first_ww_day=data.first_ww_day,
            registered_at=claim.registered_at,
            channel=channel,
            age_at_first_ww_day=age,
            years_work_history=data.years_work_history,
            education_level=data.education_level,
            sector=data.sector,
            hours_lost_per_week=data.hours_lost_per_week,
            preferred_language=data.preferred_language,
            questionnaire_answers=data.questionnaire_answers,
            claimant_subject=claim.claimant_subject,
        )
    )
    uow.audit(
        actor=actor,
        action="claim.register",
        resource_type="claim",
        resource_id=claim.id,
        new={
            "office_code": claim.office_code,
            "first_ww_day": data.first_ww_day.isoformat(),
            "channel": channel.value,
        },
    )


def register_claim(
    *,
    uow: UnitOfWork,
    data: ClaimCreate,
    actor: Actor,
    channel: RegistrationChannel,
    claimant_subject: str | None,
    vault: BsnVault,
    offices: OfficeDirectory,
    settings: IntakeSettings,
    today: dt.date,
    idempotency: IdempotencyRequest | None = None,
    caller: RegistrationCaller | None = None,
    now: dt.datetime | None = None,
) -> RegistrationResponse:
    """Register a claim and queue `claim.registered`, in one transaction.

    With an idempotency key, the stored response is inserted in the same transaction, so
    a retried or concurrent duplicate replays the first answer instead of registering twice.
    Only successful responses are stored: a rejected request wrote nothing, so repeating it
    is harmless and gets the same rejection (and, for a limited caller, an audited refusal
    that counts towards its limit).
    """
    caller = caller or RegistrationCaller(staff=True, limited=False)
    now = now or dt.datetime.now(dt.UTC)
    if caller.limited:
        refusals.check_refusal_limit(uow, actor=actor, settings=settings, now=now)
    data = refusals.registered_bsn(uow, data, channel=channel, caller=caller, actor=actor)
    assert data.bsn is not None
    idem = idempotency
    digest = request_hash(data, vault) if idem else ""
    if idem:
        replayed = replay_stored(uow, idem, digest=digest, actor=actor, delete_expired=True)
        if replayed is not None:
            return replayed

    channel = effective_channel(data, channel)
    age, office = _validated(data, offices=offices, settings=settings, today=today)
    bsn_hash = vault.lookup_hash(data.bsn)
    # No look-up first: the partial unique index on open claims decides, race-free, and
    # the conflict path (`_after_conflict`) finds the existing claim.
    claim = _new_claim(
        data,
        bsn=data.bsn,
        bsn_hash=bsn_hash,
        vault=vault,
        office=office,
        channel=channel,
        actor=actor,
        claimant_subject=claimant_subject,
    )
    repository.add(uow.session, claim)
    _publish_registered(uow, claim, data, age=age, channel=channel, actor=actor)
    location = f"/v1/claims/{claim.id}"
    body = read_model(claim, bsn_masked=mask_bsn(data.bsn)).model_dump_json()
    if idem:
        store_response(uow, idem, digest=digest, body=body, location=location)
    try:
        # The intake is booked in the same transaction (or the claim goes on the unplanned list).
        booking.book_on_registration(
            uow=uow,
            claim=claim,
            actor=actor,
            offices=offices,
            settings=settings,
            today=today,
            now=claim.registered_at,
        )
        uow.commit()
    except IntegrityError:
        return _after_conflict(
            uow,
            idem=idem,
            digest=digest,
            bsn_hash=bsn_hash,
            caller=caller,
            actor=actor,
            channel=channel,
        )
    return RegistrationResponse(status=201, body=body, location=location, replayed=False)


def _after_conflict(
    uow: UnitOfWork,
    *,
    idem: IdempotencyRequest | None,
    digest: str,
    bsn_hash: str,
    caller: RegistrationCaller,
    actor: Actor,
    channel: RegistrationChannel,
) -> RegistrationResponse:
    """A unique violation at commit: replay the duplicate's response, or refuse (409).

    Either the key was taken by a concurrent duplicate (primary key), or the BSN has an
    open claim (partial unique index). PostgreSQL reports a unique violation only after the
    competing transaction committed, so its rows are visible now.
    """
    uow.rollback()
    if idem:
        # (An expired row seen here is one whose deletion was just rolled back.)
        replayed = replay_stored(uow, idem, digest=digest, actor=actor, delete_expired=False)
        if replayed is not None:
            return replayed
    winner = repository.find_open_by_bsn_hash(uow.session, bsn_hash)
    if winner is None and idem:
        raise IdempotencyKeyInProgressError(
            "a request with this Idempotency-Key is still being processed; retry shortly"
        ) from None
    if not caller.staff:
        # No claim id, no other detail: the same answer whichever claim it is (ADR 0025).
        refusals.refuse(uow, actor=actor, reason="open_claim_exists", claim=winner, channel=channel)
        raise OpenClaimExistsError("this BSN already has an open claim") from None
    extra = {"existing_claim_id": str(winner.id)} if winner else {}
    raise OpenClaimExistsError("this BSN already has an open claim", **extra) from None


def purge_idempotency_keys(*, uow: UnitOfWork, now: dt.datetime, ttl: dt.timedelta) -> int:
    """Delete expired idempotency keys (they are ignored anyway); returns how many."""
    purged = repository.purge_idempotency_keys(uow.session, created_before=now - ttl)
    uow.commit()
    return purged


def _visible(claim: Claim, *, claimant_subject: str | None, office_code: str | None) -> bool:
    if claimant_subject is not None and claim.claimant_subject != claimant_subject:
        return False
    return office_code is None or claim.office_code == office_code


def get_claim(
    *,
    uow: UnitOfWork,
    claim_id: uuid.UUID,
    actor: Actor,
    claimant_subject: str | None,
    office_code: str | None = None,
    scope: access.ClaimScope | None = None,
) -> Claim:
    """A claim, audited as a read of personal data.

    Claimants only see their own claims, office-bound team leads their office's; with a
    `scope`, the need-to-know rules of `intake.access` decide (break-glass audited).
    """
    claim = repository.get(uow.session, claim_id)
    if scope is not None:
        if claim is None:
            raise NotFound("no such claim")
        access.audit_read(uow, actor=actor, scope=scope, claim=claim)
        uow.commit()
        return claim
    if claim is None or not _visible(
        claim, claimant_subject=claimant_subject, office_code=office_code
    ):
        raise NotFound("no such claim")
    uow.audit(actor=actor, action="claim.read", resource_type="claim", resource_id=claim.id)
    uow.commit()
    return claim


def list_claims(
    *,
    uow: UnitOfWork,
    filters: ClaimFilter,
    sort: str,
    limit: int,
    offset: int,
    actor: Actor,
    office_code: str | None = None,
    scope: access.ClaimScope | None = None,
) -> tuple[Sequence[Claim], int]:
    """A page of claims for staff, audited; `office_code` confines an office-bound team lead,
    `scope` applies the need-to-know rules (`intake.access`)."""
    if scope is not None and scope.team_lead_only:
        office_code = next(iter(scope.offices))
    if office_code is not None:
        if filters.office_code not in (None, office_code):
            raise Forbidden("a team lead lists only the claims of their own office")
        filters = filters.model_copy(update={"office_code": office_code})
    rows, total = repository.list_claims(
        uow.session,
        filters=filters,
        sort=sort,
        limit=limit,
        offset=offset,
        scope=None if scope is None else access.condition(scope),
    )
    if scope is not None:
        access.audit_break_glass_list(uow, actor=actor, scope=scope, claims=rows)
    uow.audit(
        actor=actor,
        action="claim.list",
        resource_type="claim",
        resource_id=f"page:{offset}",
        # Which filters were used, never their values (a name prefix is personal data).
        new={"filters": sorted(k for k, v in filters.model_dump().items() if v is not None)},
    )
    uow.commit()
    return rows, total


def search_by_bsn(
    *,
    uow: UnitOfWork,
    bsn: str,
    actor: Actor,
    vault: BsnVault,
    office_code: str | None = None,
    scope: access.ClaimScope | None = None,
) -> Sequence[Claim]:
    """Claims of a BSN (staff only), audited; office-bound team leads see their office's,
    with a `scope` the need-to-know rules decide (break-glass audited per claim)."""
    claims = [
        c
        for c in repository.find_by_bsn_hash(uow.session, vault.lookup_hash(bsn))
        if _visible(c, claimant_subject=None, office_code=office_code)
        and (scope is None or scope.unbounded or access.in_scope(uow, scope, c))
    ]
    if scope is not None:
        access.audit_break_glass_list(uow, actor=actor, scope=scope, claims=claims)
    uow.audit(
        actor=actor,
        action="claim.search_by_bsn",
        resource_type="claim",
        resource_id=",".join(str(c.id) for c in claims)[:80] or "-",
    )
    uow.commit()
    return claims
