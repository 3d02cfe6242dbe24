"""Working-day rules with closures from the database, and closure management; no FastAPI here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from intake.calendar import repository
from intake.calendar.models import NATIONAL, Closure
from intake.calendar.rules import ALGEMENE_TERMIJNENWET, DayInfo, RuleSet, WorkingDays
from shared.db.uow import UnitOfWork
from shared.reference import OfficeDirectory
from shared.web.problems import InvalidField, NotFound, Problem

MAX_RANGE_DAYS = 366
# Dates the API accepts. The rules cover 1990-2100; the margin leaves room for deadlines
# computed from the last accepted day.
MIN_DAY = dt.date(2000, 1, 1)
MAX_DAY = dt.date(2099, 12, 31)


class InvalidParameter(InvalidField):
    """Like InvalidField, for a query or path parameter rather than a body field."""

    def __init__(self, field: str, message: str, *, location: str = "query") -> None:
        Problem.__init__(
            self,
            f"{field}: {message}",
            errors=[{"field": field, "location": location, "message": message, "code": "invalid"}],
        )


@dataclass
class _Loaded:
    start: dt.date
    end: dt.date
    reasons: dict[dt.date, str] = field(default_factory=dict)


class WorkingDayCalendar:
    """Working days for intake code: the Algemene termijnenwet rules plus stored closures.

    Closures are loaded per office and date range: one query for the range a call needs
    (extended chunk-wise only when a calculation runs past it), never one per day.
    """

    def __init__(
        self, session: Session, *, rules: RuleSet = ALGEMENE_TERMIJNENWET, chunk_days: int = 62
    ) -> None:
        self._session = session
        self._rules = rules
        self._chunk = dt.timedelta(days=chunk_days)
        self._loaded: dict[str | None, _Loaded] = {}
        self._days: dict[str | None, WorkingDays] = {}

    # Loading -------------------------------------------------------------------------------

    def _load(self, office_code: str | None, start: dt.date, end: dt.date) -> dict[dt.date, str]:
        reasons: dict[dt.date, str] = {}
        for closure in repository.closures_between(self._session, start, end, office_code):
            # A national closure is reported in preference to an office's on the same day.
            if closure.office_code == NATIONAL or closure.day not in reasons:
                reasons[closure.day] = closure.reason
        return reasons

    def prefetch(self, start: dt.date, end: dt.date, office_code: str | None = None) -> None:
        """Make sure the closures from start to end (inclusive) are loaded."""
        loaded = self._loaded.get(office_code)
        if loaded is None:
            self._loaded[office_code] = _Loaded(start, end, self._load(office_code, start, end))
            return
        # Keep one contiguous loaded interval: load only the parts missing at either end.
        if start < loaded.start:
            loaded.reasons.update(
                self._load(office_code, start, loaded.start - dt.timedelta(days=1))
            )
            loaded.start = start
        if end > loaded.end:
            loaded.reasons.update(self._load(office_code, loaded.end + dt.timedelta(days=1), end))
            loaded.end = end

    def _lookup(self, office_code: str | None) -> Callable[[dt.date], str | None]:
        def closure_reason(day: dt.date) -> str | None:
            loaded = self._loaded.get(office_code)
            if loaded is None or not loaded.start <= day <= loaded.end:
                if loaded is not None and day < loaded.start:
                    self.prefetch(day - self._chunk, day, office_code)
                else:
                    self.prefetch(day, day + self._chunk, office_code)
                loaded = self._loaded[office_code]
            return loaded.reasons.get(day)

        return closure_reason

    def _working_days(self, office_code: str | None) -> WorkingDays:
        if office_code not in self._days:
            self._days[office_code] = WorkingDays(self._lookup(office_code), rules=self._rules)
        return self._days[office_code]

    # Queries -------------------------------------------------------------------------------

    def describe(self, day: dt.date, office_code: str | None = None) -> DayInfo:
        """Working or not, the reason and its source (rule or closure)."""
        return self._working_days(office_code).describe(day)

    def is_working_day(self, day: dt.date, office_code: str | None = None) -> bool:
        """True unless a rule, a national closure or the office's closure says otherwise."""
        return self._working_days(office_code).is_working_day(day)

    def reason(self, day: dt.date, office_code: str | None = None) -> str | None:
        """The rule name or closure reason that makes `day` a non-working day, else None."""
        return self._working_days(office_code).reason(day)

    def days(self, start: dt.date, end: dt.date, office_code: str | None = None) -> list[DayInfo]:
        """Every day from start to end inclusive, described (one closure query)."""
        self.prefetch(start, end, office_code)
        wd = self._working_days(office_code)
        return [wd.describe(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)]

    def add_working_days(self, start: dt.date, n: int, office_code: str | None = None) -> dt.date:
        """The n-th working day strictly after `start`."""
        # 5 working days per week plus room for holidays; further closures load chunk-wise.
        horizon = dt.timedelta(days=n * 7 // 5 + 14)
        self.prefetch(start + dt.timedelta(days=1), start + horizon, office_code)
        return self._working_days(office_code).add_working_days(start, n)

    def working_days_between(self, a: dt.date, b: dt.date, office_code: str | None = None) -> int:
        """Working days after `a` up to and including `b` (negative when b < a)."""
        self.prefetch(min(a, b), max(a, b), office_code)
        return self._working_days(office_code).working_days_between(a, b)


def intake_deadline(
    calendar: WorkingDayCalendar,
    *,
    first_ww_day: dt.date,
    registered_on: dt.date,
    office_code: str | None,
    working_days: int,
) -> dt.date:
    """The intake deadline: the n-th working day after the later of first WW day and registration."""
    return calendar.add_working_days(max(first_ww_day, registered_on), working_days, office_code)


# Validation ------------------------------------------------------------------------------


def check_day(day: dt.date, field: str, *, location: str = "query") -> None:
    """Refuse dates outside the years the calendar answers for."""
    if not MIN_DAY <= day <= MAX_DAY:
        raise InvalidParameter(
            field,
            f"must lie between {MIN_DAY.isoformat()} and {MAX_DAY.isoformat()}",
            location=location,
        )


def check_office(
    office_code: str | None, offices: OfficeDirectory, *, location: str = "query"
) -> None:
    """Refuse an office code that is not in the office table."""
    if office_code is not None and offices.get(office_code) is None:
        raise InvalidParameter("office_code", "unknown office code", location=location)


# Use cases -------------------------------------------------------------------------------


def working_days(
    *,
    uow: UnitOfWork,
    start: dt.date,
    end: dt.date,
    office_code: str | None,
    offices: OfficeDirectory,
) -> list[DayInfo]:
    """Each day of a range (at most MAX_RANGE_DAYS), working or not and why."""
    check_day(start, "from")
    check_day(end, "to")
    if end < start:
        raise InvalidParameter("to", "must not be before `from`")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidParameter("to", f"the range may span at most {MAX_RANGE_DAYS} days")
    check_office(office_code, offices)
    return WorkingDayCalendar(uow.session).days(start, end, office_code)


def deadline(
    *,
    uow: UnitOfWork,
    start: dt.date,
    working_days: int,
    office_code: str | None,
    offices: OfficeDirectory,
) -> dt.date:
    """The n-th working day after `start` for an office (national closures only without one)."""
    check_day(start, "start")
    check_office(office_code, offices)
    return WorkingDayCalendar(uow.session).add_working_days(start, working_days, office_code)


def list_closures(
    *,
    uow: UnitOfWork,
    office_code: str | None,
    include_national: bool,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
    offset: int,
    offices: OfficeDirectory,
) -> tuple[Sequence[Closure], int]:
    """A page of closures sorted by date; with an office, its own (and national) ones."""
    check_office(office_code, offices)
    if start is not None and end is not None and end < start:
        raise InvalidParameter("to", "must not be before `from`")
    return repository.list_closures(
        uow.session,
        office_code=office_code,
        include_national=include_national,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )


def get_closure(*, uow: UnitOfWork, closure_id: uuid.UUID) -> Closure:
    """One closure (closures are not personal data: readable by every reader, not audited)."""
    closure = repository.get(uow.session, closure_id)
    if closure is None:
        raise NotFound("no such closure")
    return closure
