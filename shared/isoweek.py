"""ISO 8601 weeks (`2026-W48`): parsing, arithmetic and ranges, for weekly reports."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class InvalidWeekError(ValueError):
    """Not an ISO week of the form YYYY-Www, or a week the year does not have."""


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week (Monday to Sunday), written `2026-W48`."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """`2026-W48` -> IsoWeek(2026, 48); InvalidWeekError for anything else."""
        m = _ISO_WEEK.match(text)
        if m is None:
            raise InvalidWeekError("must be an ISO week like 2026-W48")
        year, week = int(m.group(1)), int(m.group(2))
        if not 1900 <= year <= 2100:
            raise InvalidWeekError("the year must lie between 1900 and 2100")
        if not 1 <= week <= weeks_in_year(year):
            raise InvalidWeekError(f"{year} has weeks 1 to {weeks_in_year(year)}")
        return cls(year, week)

    @classmethod
    def of(cls, day: dt.date) -> IsoWeek:
        """The ISO week a day falls in."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> dt.date:
        """The first day of the week."""
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        """The last day of the week."""
        return dt.date.fromisocalendar(self.year, self.week, 7)

    def shift(self, weeks: int) -> IsoWeek:
        """The week `weeks` later (earlier when negative)."""
        return IsoWeek.of(self.monday + dt.timedelta(weeks=weeks))

    def plus(self, weeks: int) -> IsoWeek:
        """The week `weeks` later (earlier when negative); same as `shift`."""
        return self.shift(weeks)

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"


def weeks_in_year(year: int) -> int:
    """52 or 53: 28 December always lies in the last ISO week of its year."""
    return dt.date(year, 12, 28).isocalendar().week


def weeks_between(first: IsoWeek, last: IsoWeek) -> list[IsoWeek]:
    """Every week from first to last inclusive (empty when last < first)."""
    count = (last.monday - first.monday).days // 7 + 1
    return [first.shift(i) for i in range(max(count, 0))]
