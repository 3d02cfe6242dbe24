"""Calendar arithmetic for the starters rules: periods of weeks and months, calendar months.

**A period of n months starting on day S** runs up to and including the day before the
day with the same day-of-month n months later. When that month has no such day (S is
the 29th-31st), the period runs up to and including the last day of that month. So:

- 1 March + 6 months: 1 March .. 31 August;
- 15 January + 2 months: 15 January .. 14 March;
- 31 August 2026 + 6 months: 31 August 2026 .. 28 February 2027 (no 31 February);
- 31 August 2026 + 18 months: 31 August 2026 .. 29 February 2028 (leap year);
- 29 August 2027 + 6 months: 29 August 2027 .. 28 February 2028 (29 February exists).

This is the usual civil-law reading of "within n months" (a period that would end on a
day the month does not have ends on its last day), and it never makes a period shorter
for a start late in the month than for the 28th.

**A period of n weeks starting on day S** runs from S up to and including S + 7n - 1.
"""

from __future__ import annotations

import calendar
import datetime as dt

DAY = dt.timedelta(days=1)


def months_period_end(start: dt.date, months: int) -> dt.date:
    """The last day (inclusive) of the period of `months` months that starts on `start`."""
    if months < 1:
        raise ValueError("a period of months needs at least 1 month")
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - DAY


def weeks_period_end(start: dt.date, weeks: int) -> dt.date:
    """The last day (inclusive) of the period of `weeks` weeks that starts on `start`."""
    if weeks < 1:
        raise ValueError("a period of weeks needs at least 1 week")
    return start + dt.timedelta(days=7 * weeks - 1)


def month_key(day: dt.date) -> str:
    """``YYYY-MM`` of a day."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(month: str) -> tuple[int, int]:
    """``YYYY-MM`` -> (year, month); ValueError on anything else."""
    try:
        year_s, month_s = month.split("-")
        if len(year_s) != 4 or len(month_s) != 2:
            raise ValueError
        year, mon = int(year_s), int(month_s)
        dt.date(year, mon, 1)
    except ValueError:
        raise ValueError(f"month must be YYYY-MM, got {month!r}") from None
    return year, mon


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and the last day of a calendar month."""
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def next_month(year: int, month: int) -> tuple[int, int]:
    """The calendar month after (year, month)."""
    return (year + 1, 1) if month == 12 else (year, month + 1)
