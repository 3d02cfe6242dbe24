"""Refused registrations (ADR 0025): a claimant registers only their own BSN, and the
refusals of claimants and partner applications are audited and rate-limited, so the
registration endpoint is no oracle for which BSNs have a claim."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from intake.claims import repository
from intake.claims.models import Claim
from intake.claims.schemas import ClaimCreate
from intake.settings import IntakeSettings
from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.events.common import RegistrationChannel
from shared.web.problems import Forbidden, InvalidField, RateLimited

REFUSED_ACTION = "claim.register_refused"
THROTTLED_ACTION = "claim.register_throttled"


class NotOwnBsnError(Forbidden):
    """A claimant registers only the BSN their sign-in established (ADR 0025)."""

    slug = "not-own-bsn"
    title = "A claimant registers only their own BSN"


class RegistrationThrottledError(RateLimited):
    """Too many refused registrations by one caller; the router answers 429 + Retry-After."""

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RegistrationCaller:
    """Who registers, as far as the BSN-oracle rules care (ADR 0025).

    `signed_in_bsn` is the BSN of a claimant's sign-in (None for others, or a claimant
    token without one); `limited` is set for callers whose refusals are counted and
    rate-limited (claimants and partner applications); `staff` callers learn the existing
    claim's id from a 409, nobody else does.
    """

    staff: bool
    limited: bool
    signed_in_bsn: str | None = None


def refuse(
    uow: UnitOfWork,
    *,
    actor: Actor,
    reason: str,
    claim: Claim | None,
    channel: RegistrationChannel,
) -> None:
    """Audit a refused registration in its own commit: it counts towards the caller's limit
    and shows staff who tried to register against which claim (never the BSN itself)."""
    uow.audit(
        actor=actor,
        action=REFUSED_ACTION,
        resource_type="claim",
        resource_id=claim.id if claim is not None else "-",
        new={"reason": reason, "channel": channel.value},
    )
    uow.commit()


def check_refusal_limit(
    uow: UnitOfWork, *, actor: Actor, settings: IntakeSettings, now: dt.datetime
) -> None:
    """429 once the caller has used up its refusals in the window (counted from the audit
    log, so every API process sees the same count); the throttled attempt is audited too."""
    window = dt.timedelta(minutes=settings.registration_refusal_window_minutes)
    refusals = repository.refusals_since(
        uow.session, actor=actor.subject, action=REFUSED_ACTION, since=now - window
    )
    if len(refusals) < settings.registration_refusals_per_window:
        return
    # The attempt may be retried when enough of the counted refusals have left the window.
    oldest_counted = refusals[-settings.registration_refusals_per_window]
    retry_after = max(1, int((oldest_counted + window - now).total_seconds()) + 1)
    uow.audit(
        actor=actor,
        action=THROTTLED_ACTION,
        resource_type="claim",
        resource_id="-",
        new={"refusals": len(refusals), "retry_after_s": retry_after},
    )
    uow.commit()
    raise RegistrationThrottledError(
        "too many refused registrations; retry later", retry_after=retry_after
    )


def registered_bsn(
    uow: UnitOfWork,
    data: ClaimCreate,
    *,
    channel: RegistrationChannel,
    caller: RegistrationCaller,
    actor: Actor,
) -> ClaimCreate:
    """The body with the BSN that is registered: a claimant's comes from the sign-in."""
    if channel is RegistrationChannel.CLAIMANT:
        if caller.signed_in_bsn is None:
            raise Forbidden("the sign-in established no BSN: a claimant registers with DigiD")
        if data.bsn is not None and data.bsn != caller.signed_in_bsn:
            refuse(uow, actor=actor, reason="not_own_bsn", claim=None, channel=channel)
            raise NotOwnBsnError(
                "a claimant registers only the BSN of their own sign-in; omit `bsn`",
                errors=[
                    {
                        "field": "bsn",
                        "location": "body",
                        "message": "must be the BSN of the sign-in, or omitted",
                        "code": "not_own_bsn",
                    }
                ],
            )
        return data.model_copy(update={"bsn": caller.signed_in_bsn})
    if data.bsn is None:
        raise InvalidField("bsn", "required")
    return data
