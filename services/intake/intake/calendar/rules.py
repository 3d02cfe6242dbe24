"""Which days are working days: the rules live in `shared.reference.working_days`.

They moved there so coaching counts the same working days (its digital check-in and task
due dates) without a copy of the holiday list; intake code keeps importing them from here.
"""

from __future__ import annotations

import holidays  # re-exported: tests patch `rules.holidays.country_holidays`

from shared.reference.working_days import (
    ALGEMENE_TERMIJNENWET,
    ASCENSION_DAY,
    BOXING_DAY,
    CHRISTMAS_DAY,
    EASTER_MONDAY,
    FIRST_YEAR,
    GOOD_FRIDAY,
    KINGS_DAY,
    LAST_YEAR,
    LIBERATION_DAY,
    LIBRARY_NAMES,
    NEW_YEARS_DAY,
    SATURDAY,
    SUNDAY,
    WHIT_MONDAY,
    DayInfo,
    HolidaySourceError,
    RuleSet,
    Source,
    UnsupportedDateError,
    WorkingDays,
    holidays_of,
)

__all__ = [
    "ALGEMENE_TERMIJNENWET",
    "ASCENSION_DAY",
    "BOXING_DAY",
    "CHRISTMAS_DAY",
    "EASTER_MONDAY",
    "FIRST_YEAR",
    "GOOD_FRIDAY",
    "KINGS_DAY",
    "LAST_YEAR",
    "LIBERATION_DAY",
    "LIBRARY_NAMES",
    "NEW_YEARS_DAY",
    "SATURDAY",
    "SUNDAY",
    "WHIT_MONDAY",
    "DayInfo",
    "HolidaySourceError",
    "RuleSet",
    "Source",
    "UnsupportedDateError",
    "WorkingDays",
    "holidays",
    "holidays_of",
]
