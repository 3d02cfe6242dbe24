"""The service's calendar day: Europe/Amsterdam, whatever the machine's time zone.

Rules that count days (the week-one deadline, working days, 13 weeks in WW) count Dutch
calendar days. Between 23:00 and 24:00 UTC (22:00 in summer) the UTC date is a day behind.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in the Netherlands (of `now`, an aware datetime, when given)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(LOCAL_TZ).date()
