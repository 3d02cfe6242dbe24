"""Which days are working days: the pure rule part (no I/O), unit-testable on its own.

Algemene termijnenwet art. 3 (handbook section 3): Saturday, Sunday, New Year's Day, Good
Friday, Easter Monday, King's Day, 5 May, Ascension Day, Whit Monday, Christmas Day and
Boxing Day are not working days. The `holidays` library is the base for the movable feasts
(Easter-derived days) and King's Day, with two adaptations, both checked per year:

- 5 May: the library lists Liberation Day only in lustrum years (it is a paid day off only
  then), but for time limits the Algemene termijnenwet names 5 May **every** year.
- Good Friday: not a national holiday, and some library versions or categories omit it; the
  project rule counts it, so it is derived from the library's Easter Monday when absent.

Ad-hoc closures (a decree, an office closing) come from intake's database; this module
only takes them as a look-up function, so the same rules serve intake's calendar API and
booking, and coaching's dates (the digital check-in, the no-show task's due day), without
a second copy of the holiday list. Pure: no I/O, no clock, no settings.
"""

from __future__ import annotations

import datetime as dt
import functools
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import holidays

SATURDAY = "Saturday"
SUNDAY = "Sunday"
NEW_YEARS_DAY = "New Year's Day"
GOOD_FRIDAY = "Good Friday"
EASTER_MONDAY = "Easter Monday"
KINGS_DAY = "King's Day"
LIBERATION_DAY = "Liberation Day"
ASCENSION_DAY = "Ascension Day"
WHIT_MONDAY = "Whit Monday"
CHRISTMAS_DAY = "Christmas Day"
BOXING_DAY = "Boxing Day"

# The library's English names (language="en_US") -> our rule names. Names not listed here
# (Easter Sunday, Pentecost) fall on a Sunday anyway and are not art. 3 days of their own.
LIBRARY_NAMES: Mapping[str, str] = {
    "New Year's Day": NEW_YEARS_DAY,
    "Good Friday": GOOD_FRIDAY,
    "Easter Monday": EASTER_MONDAY,
    "King's Day": KINGS_DAY,
    # Art. 3 names "the day the King's birthday is celebrated"; before 2014 it was the Queen's.
    "Queen's Day": KINGS_DAY,
    "Liberation Day": LIBERATION_DAY,
    "Ascension Day": ASCENSION_DAY,
    "Pentecost Monday": WHIT_MONDAY,
    "Whit Monday": WHIT_MONDAY,
    "Christmas Day": CHRISTMAS_DAY,
    "Second Day of Christmas": BOXING_DAY,
    "Boxing Day": BOXING_DAY,
}

# The library covers these years for the Netherlands; outside them we refuse to guess.
FIRST_YEAR = 1990
LAST_YEAR = 2100


class UnsupportedDateError(ValueError):
    """The date lies outside the years the rule set can answer for."""


class HolidaySourceError(RuntimeError):
    """The holiday library no longer yields a day the rules rely on (renamed or dropped)."""


@dataclass(frozen=True)
class RuleSet:
    """The non-working-day rules as data: their names are the reasons the API reports."""

    weekend: tuple[str, ...] = (SATURDAY, SUNDAY)
    # Taken from the holidays library (it computes Easter and the King's Day shift).
    from_library: tuple[str, ...] = (
        NEW_YEARS_DAY,
        EASTER_MONDAY,
        KINGS_DAY,
        ASCENSION_DAY,
        WHIT_MONDAY,
        CHRISTMAS_DAY,
        BOXING_DAY,
    )
    # Added here when the library leaves them out (see the module docstring).
    added: tuple[str, ...] = (GOOD_FRIDAY, LIBERATION_DAY)

    @property
    def names(self) -> tuple[str, ...]:
        """Every rule, weekend days first, then the holidays in calendar order."""
        holidays_in_order = (
            NEW_YEARS_DAY,
            GOOD_FRIDAY,
            EASTER_MONDAY,
            KINGS_DAY,
            LIBERATION_DAY,
            ASCENSION_DAY,
            WHIT_MONDAY,
            CHRISTMAS_DAY,
            BOXING_DAY,
        )
        return self.weekend + tuple(
            n for n in holidays_in_order if n in self.from_library or n in self.added
        )


ALGEMENE_TERMIJNENWET = RuleSet()


@functools.lru_cache(maxsize=256)
def holidays_of(year: int, rules: RuleSet = ALGEMENE_TERMIJNENWET) -> Mapping[dt.date, str]:
    """The non-working holidays of one year (weekends aside), each with its rule name."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UnsupportedDateError(f"the calendar covers {FIRST_YEAR}-{LAST_YEAR}, not {year}")
    base = holidays.country_holidays("NL", years=year, language="en_US")
    order = {name: i for i, name in enumerate(rules.names)}
    found: dict[dt.date, str] = {}
    library_days: dict[str, dt.date] = {}

    def put(day: dt.date, rule: str) -> None:
        # Two rules on one day (Ascension Day on 5 May 2016): report the earlier rule.
        if day not in found or order[rule] < order[found[day]]:
            found[day] = rule

    for day in base:
        for name in base.get_list(day):
            rule = LIBRARY_NAMES.get(name)
            if rule is None or (rule not in rules.from_library and rule not in rules.added):
                continue
            library_days.setdefault(rule, day)
            put(day, rule)
    missing = [r for r in rules.from_library if r not in library_days]
    if missing:
        raise HolidaySourceError(f"holidays library gave no {', '.join(missing)} for {year}")
    if GOOD_FRIDAY in rules.added and GOOD_FRIDAY not in library_days:
        easter_monday = library_days.get(EASTER_MONDAY)
        if easter_monday is None:
            raise HolidaySourceError(f"holidays library gave no Easter Monday for {year}")
        put(easter_monday - dt.timedelta(days=3), GOOD_FRIDAY)
    if LIBERATION_DAY in rules.added:
        put(dt.date(year, 5, 5), LIBERATION_DAY)
    return types.MappingProxyType(dict(sorted(found.items())))


Source = Literal["rule", "closure"]


@dataclass(frozen=True, slots=True)
class DayInfo:
    """One day: working or not, and why not (a rule name or a closure's reason)."""

    day: dt.date
    is_working_day: bool
    reason: str | None
    source: Source | None


def _no_closures(_: dt.date) -> str | None:
    return None


class WorkingDays:
    """The working-day arithmetic over the rules plus a closure look-up (day -> reason)."""

    def __init__(
        self,
        closures: Callable[[dt.date], str | None] | Mapping[dt.date, str] | None = None,
        *,
        rules: RuleSet = ALGEMENE_TERMIJNENWET,
    ) -> None:
        if closures is None:
            self._closure: Callable[[dt.date], str | None] = _no_closures
        elif isinstance(closures, Mapping):
            self._closure = closures.get
        else:
            self._closure = closures
        self.rules = rules

    def rule_reason(self, day: dt.date) -> str | None:
        """The rule that makes `day` a non-working day by law, if any (holidays before weekend)."""
        holiday = holidays_of(day.year, self.rules).get(day)
        if holiday is not None:
            return holiday
        if day.weekday() >= 5:
            return self.rules.weekend[day.weekday() - 5]
        return None

    def describe(self, day: dt.date) -> DayInfo:
        """Working or not, with the reason and where it comes from."""
        rule = self.rule_reason(day)
        if rule is not None:
            return DayInfo(day, False, rule, "rule")
        closure = self._closure(day)
        if closure is not None:
            return DayInfo(day, False, closure, "closure")
        return DayInfo(day, True, None, None)

    def reason(self, day: dt.date) -> str | None:
        """Why `day` is not a working day (rule name or closure reason); None on working days."""
        return self.describe(day).reason

    def is_working_day(self, day: dt.date) -> bool:
        """True unless a rule or a closure says otherwise."""
        return self.reason(day) is None

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after `start` (`start` itself for n == 0)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day, left = start, n
        while left:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def on_or_after(self, day: dt.date) -> dt.date:
        """`day` when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after `a` up to and including `b` (negative when b < a)."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(
            1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + dt.timedelta(days=i))
        )
