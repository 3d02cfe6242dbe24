"""When a no-show needs the coach, and when it moves a case to personal service (pure).

docs/coaching-rules.md section 6. Nothing here reads a clock, settings or the database:
the caller passes the policy built from its settings and the case's facts.

- **Repeated.** A no-show is *repeated* when intake's count of the claim's no-shows
  reaches `repeat_threshold` (default 2), or when intake itself flagged it for the coach
  (`flagged_for_coach`, intake's own `INTAKE_NO_SHOWS_BEFORE_ATTENTION`). Either way intake
  books no further summons, so the claimant is left to the coach: coaching acts on the
  earlier of the two signals rather than trusting two settings in two services to agree.
- **A coach task** per repeated no-show (one per missed appointment), due
  `task_due_working_days` working days after the day the no-show was recorded.
- **Personal service.** An open digital-service case with a repeated no-show is moved to
  personal service: a system override with the reason `repeated_no_show`. Digital service
  presumes a claimant who acts on their own; two missed face-to-face intakes say otherwise.
  A human override in triage recorded *after* the latest no-show wins (the human decision
  is final); one recorded before it does not stop the move.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.reference.working_days import WorkingDays

REPEATED_NO_SHOW = "repeated_no_show"
"""The task kind and the reason of the system override."""


@dataclass(frozen=True)
class NoShowPolicy:
    """The numbers of the rules; the service builds it from its settings."""

    repeat_threshold: int = 2
    task_due_working_days: int = 2

    def __post_init__(self) -> None:
        if self.repeat_threshold < 1:
            raise ValueError("repeat_threshold must be >= 1")
        if self.task_due_working_days < 0:
            raise ValueError("task_due_working_days must be >= 0")


DEFAULT_NO_SHOW_POLICY = NoShowPolicy()

_WORKING_DAYS = WorkingDays()  # the statutory working days (intake's closures are intake's)


def is_repeated(count: int, *, flagged_by_intake: bool, policy: NoShowPolicy) -> bool:
    """The no-show needs the coach: the count reached the threshold, or intake flagged it."""
    return flagged_by_intake or count >= policy.repeat_threshold


def task_due_on(recorded_on: dt.date, policy: NoShowPolicy) -> dt.date:
    """The task's due day: `task_due_working_days` working days after `recorded_on`
    (the first working day on or after it for 0)."""
    if policy.task_due_working_days == 0:
        return _WORKING_DAYS.on_or_after(recorded_on)
    return _WORKING_DAYS.add_working_days(recorded_on, policy.task_due_working_days)


def moves_to_personal(
    *,
    segment: str | None,
    repeated: bool,
    open_case: bool,
    last_no_show_at: dt.datetime | None,
    human_override_at: dt.datetime | None,
) -> bool:
    """A digital-service case with a repeated no-show goes to personal service, unless a
    person overrode the segment in triage after the latest no-show."""
    if not (open_case and repeated and segment == "digital"):
        return False
    if human_override_at is None or last_no_show_at is None:
        return True
    return human_override_at < last_no_show_at
