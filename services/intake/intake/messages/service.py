"""The messages of a claim for staff and the claimant, resends, previews, print batches."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from intake.access import service as access
from intake.claims import service as claims_service
from intake.claims.models import Claim
from intake.messages import planning, print_batch, render, repository, samples
from intake.messages.kinds import Channel, Kind
from intake.messages.models import (
    Message,
    MessageAttempt,
    MessageTrigger,
    OfficeContact,
    PrintBatch,
)
from intake.settings import IntakeSettings
from shared.clock import LOCAL_TZ
from shared.db.uow import UnitOfWork
from shared.delivery.models import FINAL_STATUSES
from shared.web.auth import Principal, Role
from shared.web.problems import Conflict, InvalidField, NotFound

# Who may read what a claimant was told (the body, the letter): the claimant and the staff
# who work with them. Triage analysts and admins see that a message went, not its text.
BODY_ROLES = frozenset({Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER})
RESEND_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER)


def may_read_body(principal: Principal) -> bool:
    """The caller may see message bodies and letters."""
    return bool(principal.roles & BODY_ROLES)


def _claim_for(uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal) -> Claim:
    """The claim when the caller may see it (need to know, ADR 0022), else 404; audited."""
    own_only = principal.subject if principal.roles == {Role.CLAIMANT} else None
    return claims_service.get_claim(
        uow=uow,
        claim_id=claim_id,
        actor=principal.as_actor(),
        claimant_subject=own_only,
        scope=access.scope_for(uow, principal),
    )


def list_for_claim(
    *, uow: UnitOfWork, claim_id: uuid.UUID, principal: Principal, limit: int, offset: int
) -> tuple[Sequence[Message], int]:
    """A claim's messages, newest first, and their total."""
    _claim_for(uow, claim_id, principal)
    where = Message.claim_id == claim_id
    total = uow.session.scalar(select(func.count()).select_from(Message).where(where)) or 0
    rows = uow.session.scalars(
        select(Message)
        .where(where)
        .order_by(Message.created_at.desc(), Message.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def get_message(
    *, uow: UnitOfWork, message_id: uuid.UUID, principal: Principal, action: str
) -> Message:
    """One message, when the caller may see its claim (404 otherwise); audited."""
    message = _visible_message(uow, message_id, principal)
    uow.audit(
        actor=principal.as_actor(),
        action=action,
        resource_type="message",
        resource_id=message.id,
    )
    uow.commit()
    return message


def _visible_message(uow: UnitOfWork, message_id: uuid.UUID, principal: Principal) -> Message:
    """The message when the caller may see its claim; 404 (for the message) otherwise."""
    message = uow.session.get(Message, message_id)
    if message is None:
        raise NotFound("no such message")
    try:
        _claim_for(uow, message.claim_id, principal)
    except NotFound:
        raise NotFound("no such message") from None
    return message


def attempts_of(uow: UnitOfWork, message_id: uuid.UUID) -> Sequence[MessageAttempt]:
    """The delivery log of a message, oldest first."""
    return uow.session.scalars(
        select(MessageAttempt)
        .where(MessageAttempt.delivery_id == message_id)
        .order_by(MessageAttempt.attempt, MessageAttempt.at)
    ).all()


def body_of(uow: UnitOfWork, message_id: uuid.UUID) -> tuple[str, str | None]:
    """The text and html body of a message."""
    text, html, _ = repository.bodies(uow.session, message_id)
    return text, html


def letter_of(uow: UnitOfWork, message: Message) -> bytes:
    """A letter's PDF, or 404 for a message that is no letter (or has none)."""
    if message.channel != Channel.LETTER:
        raise NotFound("this message is not a letter")
    pdf = repository.letter_pdf(uow.session, message.id)
    if pdf is None:
        raise NotFound("this letter has no PDF (the claim has no postal address)")
    return pdf


def resend(
    *,
    uow: UnitOfWork,
    message_id: uuid.UUID,
    principal: Principal,
    reason: str,
    settings: IntakeSettings,
    now: dt.datetime,
) -> Message:
    """Send a message again on its channel, rendered with today's contact details (e.g.
    after the claimant corrected their e-mail address); audited with the reason. A message
    that is still on its way (pending or in flight), or whose resend is, is 409."""
    original = _visible_message(uow, message_id, principal)
    _refuse_while_on_its_way(uow, original)
    made = planning.plan_messages(
        uow,
        _resend_trigger(uow, original, now=now),
        settings,
        now=now,
        channels=[Channel(original.channel)],
        requested_by=principal.subject,
        resend_of=original.id,
    )
    if not made:
        raise Conflict(
            "nothing to resend: the appointment was cancelled or moved, the claim is no "
            "longer open, or the claimant has no address for this channel"
        )
    message = made[0]
    uow.session.flush()
    uow.audit(
        actor=principal.as_actor(),
        action="message.resend",
        resource_type="message",
        resource_id=original.id,
        new={"resend_id": str(message.id), "channel": message.channel},
        reason=reason,
    )
    uow.commit()
    return message


def _refuse_while_on_its_way(uow: UnitOfWork, original: Message) -> None:
    """409 while the message, or a resend of it, is still pending or in flight."""
    if original.status not in FINAL_STATUSES:
        raise Conflict(
            "the message is still on its way; resend it once it was sent or failed",
            current_status=original.status,
        )
    open_resend = uow.session.scalar(
        select(Message.id)
        .where(
            Message.resend_of_id == original.id,
            Message.status.not_in([str(s) for s in FINAL_STATUSES]),
        )
        .limit(1)
    )
    if open_resend is not None:
        raise Conflict("a resend of this message is already on its way", resend_id=str(open_resend))


def _resend_trigger(uow: UnitOfWork, original: Message, *, now: dt.datetime) -> planning.Trigger:
    """The original's trigger again (its facts from the stored event), as a new delivery."""
    trigger_row = (
        uow.session.get(MessageTrigger, original.source_event_id)
        if original.source_event_id
        else None
    )
    return planning.Trigger(
        kind=Kind(original.kind),
        claim_id=original.claim_id,
        # A resend is its own delivery: a fresh key, never the original's.
        event_id=uuid.uuid4(),
        event_type="message.resend",
        occurred_at=now,
        appointment_id=original.appointment_id,
        data=dict(trigger_row.data) if trigger_row is not None and trigger_row.data else None,
    )


def preview(kind: str, language: str, part: str) -> str:
    """A template rendered with sample data (no personal data): subject, text, html or sms."""
    if kind not in render.KINDS:
        raise InvalidField("kind", f"must be one of {', '.join(render.KINDS)}")
    if language not in render.LANGUAGES:
        raise InvalidField("language", "must be nl or en")
    rendered = render.render(kind, language, samples.sample_context(kind, language))
    value: str = getattr(rendered, part)
    return value


# Offices ---------------------------------------------------------------------------------


def office_contact(uow: UnitOfWork, code: str) -> OfficeContact:
    """The office's contact details, or 404."""
    row = uow.session.get(OfficeContact, code.upper())
    if row is None:
        raise NotFound("no such office")
    return row


def update_office_contact(
    *, uow: UnitOfWork, code: str, values: dict[str, Any], principal: Principal, now: dt.datetime
) -> OfficeContact:
    """Replace an office's contact details (admin), audited old and new."""
    row = office_contact(uow, code)
    old = {k: getattr(row, k) for k in values}
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = now
    uow.session.flush()
    uow.audit(
        actor=principal.as_actor(),
        action="office_contact.update",
        resource_type="office_contact",
        resource_id=row.code,
        old=old,
        new=values,
    )
    uow.commit()
    return row


# Print batches ---------------------------------------------------------------------------


def run_print_batch(
    *, uow: UnitOfWork, letter_dir: Path, day: dt.date | None = None, now: dt.datetime
) -> PrintBatch | None:
    """Join the spooled letters of `day` (default: today) into one print batch PDF with a
    manifest; the spooled files move into the batch's folder. None when there are none."""
    day = day or now.astimezone(LOCAL_TZ).date()
    spool = letter_dir / "spool" / day.isoformat()
    files = sorted(spool.glob("*.pdf")) if spool.is_dir() else []
    if not files:
        return None
    built = print_batch.build_print_batch(
        [(f.stem, f.read_bytes()) for f in files], day=day, out_dir=letter_dir / "batches"
    )
    done = spool / "printed"
    done.mkdir(exist_ok=True)
    for f in files:
        f.replace(done / f.name)
    batch = PrintBatch(
        id=uuid.uuid4(),
        day=day,
        path=str(built.path),
        letters=len(files),
        pages=built.pages,
        created_at=now,
    )
    uow.session.add(batch)
    uow.commit()
    return batch


def list_print_batches(
    uow: UnitOfWork, *, limit: int, offset: int
) -> tuple[Sequence[PrintBatch], int]:
    """Print batches, newest first."""
    total = uow.session.scalar(select(func.count()).select_from(PrintBatch)) or 0
    rows = uow.session.scalars(
        select(PrintBatch).order_by(PrintBatch.created_at.desc()).limit(limit).offset(offset)
    ).all()
    return rows, total


def status_counts(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    """Messages by channel and status (the Prometheus gauges)."""
    rows = uow.session.execute(
        select(Message.channel, Message.status, func.count()).group_by(
            Message.channel, Message.status
        )
    ).all()
    return {(str(c), str(s)): int(n) for c, s, n in rows}
