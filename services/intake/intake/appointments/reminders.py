"""Reminders: `intake.reminder_due` for the appointments now due."""

from __future__ import annotations

import datetime as dt

from intake.appointments import repository, rules
from intake.calendar.service import WorkingDayCalendar
from shared.db.uow import UnitOfWork
from shared.events.intake import (
    IntakeReminderDue,
)

# The rule's moment lies at most this far before the start (2 working days back, across
# weekends, Christmas and office closures); later appointments are not due yet.
REMINDER_HORIZON = dt.timedelta(days=21)


def emit_due_reminders(*, uow: UnitOfWork, now: dt.datetime) -> int:
    """Emit intake.reminder_due for each active appointment now due and not yet reminded.

    Idempotent: `reminder_sent_at` is set in the same transaction as the outbox row, so a
    second run emits nothing. Appointments that have started are not reminded.
    """
    calendar = WorkingDayCalendar(uow.session)
    sent = 0
    for a in repository.reminder_candidates(uow.session, now=now, until=now + REMINDER_HORIZON):
        due_at = rules.reminder_due_at(a.starts_at, calendar, a.office_code, booked_at=a.booked_at)
        if due_at > now:
            continue
        a.reminder_sent_at = now
        uow.publish(
            IntakeReminderDue(
                claim_id=a.claim_id,
                appointment_id=a.id,
                starts_at=a.starts_at,
                office_code=a.office_code,
                due_at=due_at,
            )
        )
        sent += 1
    uow.commit()
    return sent
