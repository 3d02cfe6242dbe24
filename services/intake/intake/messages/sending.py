"""Sending messages: the channels plugged into the shared delivery mechanism (ADR 0028).

`send_due` is the one entry point (the `ww jobs messages` job, the embedded sender thread
and the tests call it). Before a message about an appointment goes out, the appointment
is checked: one that was cancelled or moved since the message was planned suppresses it
(a reminder for a cancelled intake never goes). An e-mail that bounced or was given up
becomes a letter for the same event, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from intake.appointments.models import ACTIVE_STATUSES, Appointment
from intake.messages import planning, repository
from intake.messages.kinds import APPOINTMENT_KINDS, Channel, Kind
from intake.messages.models import Message, MessageAttempt, MessageTrigger, OfficeContact
from intake.settings import IntakeSettings
from shared.clock import LOCAL_TZ
from shared.db.uow import UnitOfWork
from shared.delivery import Attempt, DeliveryRun, RetryPolicy, Sender, SendOutcome, deliver_due
from shared.delivery.models import DeliveryStatus
from shared.logging import get_logger
from shared.mail.compose import compose
from shared.mail.smtp import SmtpSender
from shared.sms import SmsProvider

log = get_logger(__name__)


def policy_of(settings: IntakeSettings) -> RetryPolicy:
    """The retry policy of messages (settings)."""
    return RetryPolicy(
        max_attempts=settings.messages_max_attempts,
        base=dt.timedelta(seconds=settings.messages_retry_base_s),
        max_wait=dt.timedelta(seconds=settings.messages_retry_max_wait_s),
        lease=dt.timedelta(seconds=settings.messages_lease_s),
    )


def message_id_header(message_id: uuid.UUID, settings: IntakeSettings) -> str:
    """A stable Message-ID: the same message keeps it over retries and restarts."""
    return f"<{message_id}@{settings.messages_message_id_domain}>"


@dataclass
class Channels:
    """The senders of one process: SMTP, the SMS provider and the letter spool."""

    settings: IntakeSettings
    uows: Callable[[], UnitOfWork]
    smtp: SmtpSender
    sms: SmsProvider
    letter_dir: Path

    def senders(self) -> dict[str, Sender]:
        return {
            Channel.EMAIL: self._guarded(self._email),
            Channel.SMS: self._guarded(self._sms),
            Channel.LETTER: self._guarded(self._letter),
        }

    def _guarded(self, send: Sender) -> Sender:
        def sender(row: Any, attempt: Attempt) -> SendOutcome:
            reason = self._suppression(row)
            if reason is not None:
                return SendOutcome.suppressed(reason)
            return send(row, attempt)

        return sender

    def _suppression(self, row: Message) -> str | None:
        """Why a message about an appointment is no longer wanted, if it is not."""
        if row.kind not in APPOINTMENT_KINDS or row.kind == Kind.CANCELLED:
            return None
        if row.appointment_id is None:
            return None
        with self.uows() as uow:
            appointment = uow.session.get(Appointment, row.appointment_id)
            if appointment is None or appointment.status not in ACTIVE_STATUSES:
                return "the appointment was cancelled before the message went out"
            if (
                row.appointment_starts_at is not None
                and appointment.starts_at != row.appointment_starts_at
            ):
                return "the appointment moved before the message went out"
        return None

    def _email(self, row: Message, attempt: Attempt) -> SendOutcome:
        with self.uows() as uow:
            office = uow.session.get(OfficeContact, row.office_code)
            body_text, body_html, ics_text = repository.bodies(uow.session, row.id)
        sender = self.settings.messages_from_address or (
            f'"{office.name}" <{office.email}>' if office else "UWV <noreply@uwv.nl>"
        )
        reply_to = office.email if office else None
        msg = compose(
            sender=sender,
            reply_to=reply_to,
            to=row.recipient or "",
            subject=row.subject,
            text=body_text,
            html=body_html or "",
            ics=ics_text,
            message_id=message_id_header(row.id, self.settings),
            language=row.language,
        )
        return self.smtp.send(msg, attempt)

    def _sms(self, row: Message, attempt: Attempt) -> SendOutcome:
        with self.uows() as uow:
            body_text, _, _ = repository.bodies(uow.session, row.id)
        return self.sms.send(
            phone=row.recipient or "", body=body_text, reference=str(row.id), attempt=attempt
        )

    def _letter(self, row: Message, attempt: Attempt) -> SendOutcome:
        """Into today's print spool (the daily print batch joins it); the PDF was made when
        the letter was planned."""
        with self.uows() as uow:
            pdf = repository.letter_pdf(uow.session, row.id)
        if not pdf:
            return SendOutcome.bounced("no letter PDF (no postal address)")
        day = dt.datetime.now(LOCAL_TZ).date()
        spool = self.letter_dir / "spool" / day.isoformat()
        _write_atomic(spool / f"{row.id}.pdf", pdf)
        return SendOutcome.sent(provider_message_id=f"print:{day.isoformat()}")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def fallback_hook(settings: IntakeSettings) -> Callable[[UnitOfWork, Any], None]:
    """`on_final`: an e-mail that bounced or was given up becomes a letter (same event)."""

    def on_final(uow: UnitOfWork, row: Any) -> None:
        if row.channel != Channel.EMAIL or row.status not in (
            DeliveryStatus.BOUNCED,
            DeliveryStatus.FAILED,
        ):
            return
        if row.source_event_id is None:
            return
        letters = planning.plan_messages(
            uow,
            planning.Trigger(
                kind=Kind(row.kind),
                claim_id=row.claim_id,
                event_id=row.source_event_id,
                event_type=row.source_event_type or "",
                occurred_at=row.created_at,
                appointment_id=row.appointment_id,
                data=_trigger_data(uow, row),
            ),
            settings,
            now=dt.datetime.now(dt.UTC),
            channels=[Channel.LETTER],
            requested_by="system:email-fallback",
            fallback_for=row.id,
        )
        log.info("message.email_fallback", message_id=str(row.id), letters=len(letters))

    return on_final


def _trigger_data(uow: UnitOfWork, row: Message) -> dict[str, Any] | None:
    """The event facts a fallback letter needs again, from the processed event when kept."""
    found = uow.session.get(MessageTrigger, row.source_event_id)
    return dict(found.data) if found is not None and found.data else None


def send_due(
    uows: Callable[[], UnitOfWork],
    channels: Channels,
    *,
    now: dt.datetime | None = None,
    limit: int | None = None,
    registry: CollectorRegistry | None = None,
) -> DeliveryRun:
    """Send the messages that are due (one run; a scheduler or the sender loop repeats it)."""
    settings = channels.settings
    with channels.smtp.session():
        return deliver_due(
            uows,
            Message,
            MessageAttempt,
            channels.senders(),
            kind="message",
            policy=policy_of(settings),
            now=now,
            limit=limit or settings.messages_batch_size,
            on_final=fallback_hook(settings),
            registry=registry,
        )
