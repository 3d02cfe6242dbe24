"""Claim registration and look-up rules; no FastAPI here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from intake.claims import repository
from intake.claims.models import Claim
from intake.claims.schemas import ClaimCreate
from intake.settings import IntakeSettings
from shared.bsn import BsnVault
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.common import RegistrationChannel
from shared.events.intake import ClaimRegistered
from shared.reference import OfficeDirectory
from shared.web.problems import Conflict, InvalidField, NotFound


class OpenClaimExistsError(Conflict):
    """A BSN may have only one open claim."""

    slug = "open-claim-exists"
    title = "An open claim already exists for this BSN"


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def validate_dates(data: ClaimCreate, *, settings: IntakeSettings, today: dt.date) -> int | None:
    """Apply the configurable date windows; return the age on the first WW day if known."""
    earliest = today - dt.timedelta(days=settings.first_ww_day_max_past_days)
    latest = today + dt.timedelta(days=settings.first_ww_day_max_future_days)
    if not earliest <= data.first_ww_day <= latest:
        raise InvalidField(
            "first_ww_day", f"must lie between {earliest.isoformat()} and {latest.isoformat()}"
        )
    if data.date_of_birth is None:
        return None
    age = _age_on(data.date_of_birth, data.first_ww_day)
    if not settings.min_age <= age <= settings.max_age:
        raise InvalidField(
            "date_of_birth",
            f"age on the first WW day must be {settings.min_age}-{settings.max_age}",
        )
    return age


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
) -> Claim:
    """Register a claim and queue `claim.registered`, in one transaction."""
    age = validate_dates(data, settings=settings, today=today)
    office = offices.for_postcode(data.postcode)
    bsn_hash = vault.lookup_hash(data.bsn)
    # No look-up first: the partial unique index on open claims decides, race-free, and
    # the conflict path below finds the existing claim.
    claim = Claim(
        id=uuid.uuid4(),
        bsn_ciphertext=vault.encrypt(data.bsn),
        bsn_hash=bsn_hash,
        status="open",
        first_ww_day=data.first_ww_day,
        postcode=data.postcode,
        office_code=office.code,
        date_of_birth=data.date_of_birth,
        channel=channel.value,
        registered_by=actor.subject,
        claimant_subject=claimant_subject,
        registered_at=dt.datetime.now(dt.UTC),
    )
    repository.add(uow.session, claim)
    uow.publish(
        ClaimRegistered(
            claim_id=claim.id,
            office_code=office.code,
            first_ww_day=data.first_ww_day,
            registered_at=claim.registered_at,
            channel=channel,
            age_at_first_ww_day=age,
            years_work_history=data.years_work_history,
            education_level=data.education_level,
            sector=data.sector,
            hours_lost_per_week=data.hours_lost_per_week,
            preferred_language=data.preferred_language,
        )
    )
    uow.audit(
        actor=actor,
        action="claim.register",
        resource_type="claim",
        resource_id=claim.id,
        new={
            "office_code": office.code,
            "first_ww_day": data.first_ww_day.isoformat(),
            "channel": channel.value,
        },
    )
    try:
        uow.commit()
    except IntegrityError:
        # A second open claim for this BSN (sequential or concurrent): the index refused it.
        uow.rollback()
        winner = repository.find_open_by_bsn_hash(uow.session, bsn_hash)
        extra = {"existing_claim_id": str(winner.id)} if winner else {}
        raise OpenClaimExistsError("this BSN already has an open claim", **extra) from None
    return claim


def get_claim(
    *, uow: UnitOfWork, claim_id: uuid.UUID, actor: Actor, claimant_subject: str | None
) -> Claim:
    """A claim, audited as a read of personal data; claimants only see their own."""
    claim = repository.get(uow.session, claim_id)
    if claim is None or (
        claimant_subject is not None and claim.claimant_subject != claimant_subject
    ):
        raise NotFound("no such claim")
    uow.audit(actor=actor, action="claim.read", resource_type="claim", resource_id=claim.id)
    uow.commit()
    return claim


def search_by_bsn(*, uow: UnitOfWork, bsn: str, actor: Actor, vault: BsnVault) -> Sequence[Claim]:
    """Claims of a BSN (staff only), audited."""
    claims = repository.find_by_bsn_hash(uow.session, vault.lookup_hash(bsn))
    uow.audit(
        actor=actor,
        action="claim.search_by_bsn",
        resource_type="claim",
        resource_id=",".join(str(c.id) for c in claims)[:80] or "-",
    )
    uow.commit()
    return claims
