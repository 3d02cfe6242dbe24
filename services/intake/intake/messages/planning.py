"""From an event to the messages it makes: who, which kind, which channels, what text.

Planning runs in the consumer's transaction of the event (the inbox row commits with the
messages), renders every message right away and stores it as it will be sent. Each
message row has the dedupe key `<event id>:<kind>:<channel>`: a redelivered event finds
its rows and adds none (the inbox already skips it; the key also holds for a resend of the
same event by another path).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake.appointments import ics
from intake.appointments.models import ACTIVE_STATUSES, Appointment
from intake.claims.models import Claim
from intake.coaches.models import RosterCoach
from intake.messages import letters, render
from intake.messages.kinds import (
    ALWAYS_LETTER_KINDS,
    APPOINTMENT_KINDS,
    ICS_KINDS,
    NO_LETTER_KINDS,
    SMS_KINDS,
    Channel,
    Kind,
)
from intake.messages.models import Message, OfficeContact
from intake.settings import IntakeSettings
from shared.clock import LOCAL_TZ
from shared.db.uow import UnitOfWork
from shared.delivery.models import DeliveryStatus
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Trigger:
    """What caused a message: the event (or a staff resend) and its facts."""

    kind: Kind
    claim_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    occurred_at: dt.datetime
    appointment_id: uuid.UUID | None = None
    data: dict[str, Any] | None = None


def language_of(claim: Claim) -> str:
    """The claimant's language for messages: English when they chose it, else Dutch."""
    return "en" if claim.preferred_language == "en" else "nl"


def channels_for(claim: Claim, kind: Kind) -> list[Channel]:
    """The channels a message of `kind` goes out on for this claimant.

    E-mail when the claimant prefers it (the default when there is an address), else a
    letter; never a letter for a reminder (it would come too late); a summons always on
    paper too. An SMS notice in addition for appointment messages when there is a phone
    and the claimant has not turned SMS off."""
    preference = claim.contact_preference or ("email" if claim.email else "post")
    out: list[Channel] = []
    if preference == "email" and claim.email:
        out.append(Channel.EMAIL)
    if (Channel.EMAIL not in out and kind not in NO_LETTER_KINDS) or kind in ALWAYS_LETTER_KINDS:
        out.append(Channel.LETTER)
    if kind in SMS_KINDS and claim.phone and claim.sms_notifications is not False:
        out.append(Channel.SMS)
    return out


def dedupe_key(event_id: uuid.UUID, kind: Kind, channel: Channel | str) -> str:
    """One message per event, kind and channel (the recipient is the claim's own)."""
    return f"{event_id}:{kind}:{channel}"


def office_context(office: OfficeContact | None, language: str) -> dict[str, Any] | None:
    """The office part of the render context."""
    if office is None:
        return None
    return {
        "code": office.code,
        "name": office.name,
        "street": office.street,
        "house_number": office.house_number,
        "postcode": office.postcode,
        "city": office.city,
        "route": office.route_en if language == "en" else office.route_nl,
        "phone": office.phone,
        "email": office.email,
        "opening_hours": office.opening_hours_en if language == "en" else office.opening_hours_nl,
    }


def office_address(office: OfficeContact | None) -> str:
    """One line for a calendar's LOCATION."""
    if office is None:
        return ""
    return f"{office.name}, {office.street} {office.house_number}, {office.postcode} {office.city}"


def _coach_first_name(uow: UnitOfWork, coach_id: uuid.UUID | None) -> str | None:
    if coach_id is None:
        return None
    coach = uow.session.get(RosterCoach, coach_id)
    if coach is None or not coach.display_name:
        return None
    return coach.display_name.split()[0]


def _appointment_context(uow: UnitOfWork, appointment: Appointment) -> dict[str, Any]:
    return {
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "coach_first_name": _coach_first_name(uow, appointment.coach_id),
        "summoned": bool(appointment.summoned),
    }


def _rebooked(uow: UnitOfWork, claim_id: uuid.UUID, cancelled_id: uuid.UUID) -> Appointment | None:
    """The claim's active appointment other than the cancelled one (the service's new slot)."""
    return uow.session.scalars(
        select(Appointment)
        .where(
            Appointment.claim_id == claim_id,
            Appointment.id != cancelled_id,
            Appointment.status.in_(ACTIVE_STATUSES),
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    ).one_or_none()


@dataclass
class Plan:
    """Everything a message needs, before it is split over channels."""

    kind: Kind
    claim: Claim
    language: str
    context: dict[str, Any]
    office: OfficeContact | None
    appointment: Appointment | None = None
    announced: Appointment | None = None  # the appointment whose time the message gives


def build_plan(uow: UnitOfWork, trigger: Trigger, settings: IntakeSettings) -> Plan | None:
    """The render context of a trigger, or None when there is nothing to tell (an unknown
    claim, an appointment message for a claim that is no longer open, a reminder for an
    appointment that has moved or was cancelled)."""
    claim = uow.session.get(Claim, trigger.claim_id)
    if claim is None:
        return None
    kind = trigger.kind
    appointment: Appointment | None = None
    announced: Appointment | None = None
    if kind in APPOINTMENT_KINDS:
        appointment = _appointment_of(uow, claim, trigger)
        if appointment is None:
            return None
        if kind is not Kind.CANCELLED:
            announced = appointment
    language = language_of(claim)
    office_code = appointment.office_code if appointment is not None else claim.office_code
    office = uow.session.get(OfficeContact, office_code)
    context = render.new_context(
        str(kind),
        language,
        claimant={"given_name": claim.given_name, "family_name": claim.family_name},
        office=office_context(office, language),
        links={
            "manage_url": settings.messages_manage_url,
            "contact_phone": office.phone if office is not None else settings.messages_phone,
        },
    )
    if appointment is not None:
        context["appointment"] = _appointment_context(uow, appointment)
    rebooked = _add_kind_parts(uow, context, trigger, claim=claim, appointment=appointment)
    return Plan(
        kind=kind,
        claim=claim,
        language=language,
        context=context,
        office=office,
        appointment=appointment,
        announced=rebooked if rebooked is not None else announced,
    )


def _appointment_of(uow: UnitOfWork, claim: Claim, trigger: Trigger) -> Appointment | None:
    """The appointment an appointment message is about, or None when there is nothing to
    tell: the claim is no longer open, or (but for a cancellation) the appointment is no
    longer active."""
    if claim.status != "open":
        # A closed or withdrawn claim's intakes are cancelled with it: the claimant is
        # told about the claim instead (case_closed), not about each appointment.
        return None
    if trigger.appointment_id is None:
        return None
    appointment = uow.session.get(Appointment, trigger.appointment_id)
    if appointment is None:
        return None
    if trigger.kind is not Kind.CANCELLED and appointment.status not in ACTIVE_STATUSES:
        return None
    return appointment


def _add_kind_parts(
    uow: UnitOfWork,
    context: dict[str, Any],
    trigger: Trigger,
    *,
    claim: Claim,
    appointment: Appointment | None,
) -> Appointment | None:
    """Fill in the context parts of the trigger's kind; returns the new appointment a
    cancellation by the service announces (None otherwise)."""
    kind = trigger.kind
    data = trigger.data or {}
    if kind is Kind.RESCHEDULED:
        context["previous_starts_at"] = _moment(data.get("previous_starts_at"))
        context["by"] = data.get("by")
    elif kind is Kind.CANCELLED:
        context["by"] = data.get("by")
        if data.get("by") == "service" and appointment is not None:
            new = _rebooked(uow, claim.id, appointment.id)
            if new is not None:
                context["new_appointment"] = _appointment_context(uow, new)
                return new
    elif kind is Kind.OBLIGATION_MISSED:
        context["obligation"] = {
            "period_start": _day(data.get("period_start")),
            "period_end": _day(data.get("period_end")),
            "activities_required": int(data.get("activities_required") or 0),
            "activities_reported": int(data.get("activities_reported") or 0),
        }
    elif kind is Kind.INCOME_STATEMENT_MISSING:
        context["income_statement"] = {"month": str(data.get("month") or "")}
    elif kind is Kind.CASE_CLOSED:
        context["case_closed"] = {
            "result": str(data.get("reason") or "other"),
            "closed_on": _day(data.get("closed_on")),
        }
    return None


def _moment(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def calendar_file(plan: Plan, *, now: dt.datetime) -> str | None:
    """The .ics of the time the message announces (e-mail only)."""
    if plan.announced is None or plan.kind not in (*ICS_KINDS, Kind.CANCELLED):
        return None
    a = plan.announced
    return ics.render(
        ics.IcsEvent(
            appointment_id=a.id,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            location=office_address(plan.office),
        ),
        now=now,
    )


def letter_pdf(
    plan: Plan, rendered: render.Rendered, *, reference: str, today: dt.date
) -> tuple[bytes, int] | None:
    """The letter as PDF with its page count, or None when the claim has no postal
    address (or one the letter cannot carry)."""
    claim = plan.claim
    office = plan.office
    if office is None or not (claim.street and claim.house_number and claim.city):
        return None
    name = " ".join(p for p in (claim.given_name, claim.family_name) if p) or (
        "The occupant" if plan.language == "en" else "De bewoner"
    )
    try:
        pdf = letters.render_letter(
            letters.Letter(
                sender=letters.Sender(
                    office_name=office.name,
                    street=office.street,
                    house_number=office.house_number,
                    postcode=office.postcode,
                    city=office.city,
                    phone=office.phone,
                    email=office.email,
                ),
                recipient=letters.Recipient(
                    name=name,
                    street=f"{claim.street} {claim.house_number}",
                    postcode=claim.postcode,
                    city=claim.city,
                ),
                date=today,
                reference=reference,
                subject=rendered.subject,
                body=rendered.letter,
                language="en" if plan.language == "en" else "nl",
            )
        )
    except letters.LetterError as exc:
        log.warning("message.letter_refused", claim_id=str(claim.id), error=type(exc).__name__)
        return None
    return pdf, len(PdfReader(io.BytesIO(pdf)).pages)


def reference_of(message_id: uuid.UUID) -> str:
    """The short reference printed on a letter (no BSN, no internal key)."""
    return "M-" + message_id.hex[:8].upper()


def plan_messages(
    uow: UnitOfWork,
    trigger: Trigger,
    settings: IntakeSettings,
    *,
    now: dt.datetime,
    channels: list[Channel] | None = None,
    requested_by: str = "system",
    resend_of: uuid.UUID | None = None,
    fallback_for: uuid.UUID | None = None,
) -> list[Message]:
    """Add the trigger's messages to the unit of work (no commit); returns them.

    A channel whose message for this event already exists adds nothing; an invitation for
    an appointment another message already announced on that channel (a service
    cancellation with its new slot) is not sent again."""
    if not settings.messages_enabled:
        return []
    plan = build_plan(uow, trigger, settings)
    if plan is None:
        return []
    if (
        plan.kind is Kind.REMINDER
        and resend_of is None
        and _told_recently(uow, plan, settings, now)
    ):
        return []
    rendered = render.render(str(plan.kind), plan.language, plan.context)
    wanted = channels if channels is not None else channels_for(plan.claim, plan.kind)
    if settings.sms_provider == "none":
        wanted = [c for c in wanted if c is not Channel.SMS]
    out: list[Message] = []
    for channel in wanted:
        key = dedupe_key(trigger.event_id, plan.kind, channel)
        if uow.session.scalar(select(Message.id).where(Message.dedupe_key == key)) is not None:
            continue
        if (
            plan.kind in (Kind.INVITATION, Kind.SUMMONS)
            and plan.announced is not None
            and resend_of is None
            and _already_announced(uow, plan.announced.id, channel)
        ):
            continue
        message = _message(
            uow, plan, rendered, channel, key, trigger, now=now, requested_by=requested_by
        )
        message.resend_of_id = resend_of
        message.fallback_for_id = fallback_for
        try:
            with uow.session.begin_nested():
                uow.session.add(message)
        except IntegrityError:
            # A concurrent planner of the same event won (the unique dedupe key): theirs stands.
            continue
        out.append(message)
    return out


def _told_recently(uow: UnitOfWork, plan: Plan, settings: IntakeSettings, now: dt.datetime) -> bool:
    """The claimant was told this appointment's time less than the minimum gap ago."""
    if plan.announced is None or settings.messages_reminder_min_gap_hours <= 0:
        return False
    since = now - dt.timedelta(hours=settings.messages_reminder_min_gap_hours)
    return (
        uow.session.scalar(
            select(Message.id)
            .where(
                Message.announced_appointment_id == plan.announced.id,
                Message.appointment_starts_at == plan.announced.starts_at,
                Message.kind != str(Kind.REMINDER),
                Message.created_at > since,
            )
            .limit(1)
        )
        is not None
    )


def _already_announced(uow: UnitOfWork, appointment_id: uuid.UUID, channel: Channel) -> bool:
    return (
        uow.session.scalar(
            select(Message.id)
            .where(
                Message.announced_appointment_id == appointment_id,
                Message.channel == str(channel),
            )
            .limit(1)
        )
        is not None
    )


def _message(
    uow: UnitOfWork,
    plan: Plan,
    rendered: render.Rendered,
    channel: Channel,
    key: str,
    trigger: Trigger,
    *,
    now: dt.datetime,
    requested_by: str,
) -> Message:
    claim = plan.claim
    message_id = uuid.uuid4()
    message = Message(
        id=message_id,
        dedupe_key=key,
        channel=str(channel),
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        claim_id=claim.id,
        kind=str(plan.kind),
        language=plan.language,
        source_event_id=trigger.event_id,
        source_event_type=trigger.event_type,
        appointment_id=plan.appointment.id if plan.appointment is not None else None,
        appointment_starts_at=plan.announced.starts_at if plan.announced is not None else None,
        announced_appointment_id=plan.announced.id if plan.announced is not None else None,
        office_code=plan.office.code if plan.office is not None else claim.office_code,
        subject=rendered.subject[:300],
        body_text=rendered.text,
        body_html=None,
        requested_by=requested_by,
    )
    if channel is Channel.EMAIL:
        message.recipient = claim.email
        message.body_html = rendered.html
        message.ics = calendar_file(plan, now=now)
    elif channel is Channel.SMS:
        message.recipient = claim.phone
        message.body_text = rendered.sms
    else:
        message.recipient = None
        made = letter_pdf(
            plan,
            rendered,
            reference=reference_of(message_id),
            today=now.astimezone(LOCAL_TZ).date(),
        )
        if made is None:
            # No postal address: nothing can go out on paper. Recorded, so staff see it.
            message.status = DeliveryStatus.BOUNCED
            message.next_attempt_at = None
            message.finished_at = now
            message.last_error = "no postal address on the claim"
        else:
            message.letter_pdf, message.letter_pages = made
    return message
