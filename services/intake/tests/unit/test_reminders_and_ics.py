"""Reminder moment (2nd working day before, 09:00 local) and the iCalendar text (pure)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from intake.agendas.rules import local_to_utc
from intake.appointments import ics
from intake.appointments.rules import reminder_due_at
from intake.calendar.rules import WorkingDays


class FakeCalendar:
    """The rules plus closures per office, like WorkingDayCalendar without a database."""

    def __init__(self, closures: dict[str, set[dt.date]] | None = None) -> None:
        self._rules = WorkingDays()
        self._closures = closures or {}

    def is_working_day(self, day: dt.date, office_code: str | None = None) -> bool:
        closed = self._closures.get(office_code or "", set())
        return self._rules.is_working_day(day) and day not in closed


def _due(day: dt.date, hh: int = 10, mm: int = 0, **kw: object) -> dt.datetime:
    return reminder_due_at(local_to_utc(day, dt.time(hh, mm)), FakeCalendar(), "AMS", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("appointment_day", "reminder_day"),
    [
        (dt.date(2026, 12, 2), dt.date(2026, 11, 30)),  # Wednesday -> Monday
        (dt.date(2026, 12, 7), dt.date(2026, 12, 3)),  # Monday -> Thursday (skips the weekend)
        (dt.date(2026, 12, 8), dt.date(2026, 12, 4)),  # Tuesday -> Friday
        # Easter 2027: Good Friday 26 March and Easter Monday 29 March are not working days.
        (dt.date(2027, 3, 30), dt.date(2027, 3, 24)),
        # King's Day, Tuesday 27 April 2027.
        (dt.date(2027, 4, 29), dt.date(2027, 4, 26)),
        (dt.date(2027, 4, 28), dt.date(2027, 4, 23)),
        # Christmas 2026 (Friday 25 and Saturday 26): Monday 28 December -> Wednesday 23.
        (dt.date(2026, 12, 28), dt.date(2026, 12, 23)),
    ],
)
def test_second_working_day_before_at_nine_local(
    appointment_day: dt.date, reminder_day: dt.date
) -> None:
    due = _due(appointment_day)
    assert due == local_to_utc(reminder_day, dt.time(9))
    assert due.tzinfo is not None
    assert due.utcoffset() == dt.timedelta(0)
    assert WorkingDays().is_working_day(reminder_day)


def test_nine_local_in_winter_and_summer_time() -> None:
    assert _due(dt.date(2026, 12, 2)) == dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC)
    assert _due(dt.date(2027, 4, 29)) == dt.datetime(2027, 4, 26, 7, tzinfo=dt.UTC)


def test_uses_the_local_date_of_the_start() -> None:
    # 00:30 on Wednesday in Amsterdam is Tuesday 23:30 UTC; Wednesday counts.
    assert _due(dt.date(2026, 12, 2), 0, 30) == local_to_utc(dt.date(2026, 11, 30), dt.time(9))


def test_office_closure_is_skipped_but_only_for_that_office() -> None:
    start = local_to_utc(dt.date(2026, 12, 2), dt.time(10))
    cal = FakeCalendar({"AMS": {dt.date(2026, 11, 30)}})
    assert reminder_due_at(start, cal, "AMS") == local_to_utc(dt.date(2026, 11, 27), dt.time(9))
    assert reminder_due_at(start, cal, "RTM") == local_to_utc(dt.date(2026, 11, 30), dt.time(9))


def test_booked_after_the_rule_moment_is_due_at_booking() -> None:
    booked = dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)
    assert _due(dt.date(2026, 12, 2), booked_at=booked) == booked
    early = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
    assert _due(dt.date(2026, 12, 2), booked_at=early) == local_to_utc(
        dt.date(2026, 11, 30), dt.time(9)
    )


# --- iCalendar --------------------------------------------------------------------------------

ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
NOW = dt.datetime(2026, 11, 27, 20, 0, 5, tzinfo=dt.UTC)


def _event(location: str = "UWV Amsterdam Sloterdijk", cancelled: bool = False) -> ics.IcsEvent:
    return ics.IcsEvent(
        appointment_id=ID,
        starts_at=local_to_utc(dt.date(2026, 12, 2), dt.time(10)),
        ends_at=local_to_utc(dt.date(2026, 12, 2), dt.time(10, 45)),
        location=location,
        cancelled=cancelled,
    )


def _unfolded(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_required_properties_in_utc() -> None:
    text = ics.render(_event(), now=NOW)
    lines = _unfolded(text)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"]
    assert lines[-2:] == ["END:VEVENT", "END:VCALENDAR"]
    props = dict(line.split(":", 1) for line in lines)
    assert props["PRODID"]
    assert props["UID"] == f"{ID}@ww"
    assert props["DTSTAMP"] == "20261127T200005Z"
    assert props["DTSTART"] == "20261202T090000Z"
    assert props["DTEND"] == "20261202T094500Z"
    assert props["SUMMARY"] == "Intakegesprek WW / WW intake"
    assert props["LOCATION"] == "UWV Amsterdam Sloterdijk"
    assert "WW-uitkering" in props["DESCRIPTION"]
    assert "benefit may be" in props["DESCRIPTION"]
    assert props["STATUS"] == "CONFIRMED"
    assert "STATUS:CANCELLED" in ics.render(_event(cancelled=True), now=NOW)


def test_crlf_line_endings_only() -> None:
    text = ics.render(_event(), now=NOW)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")


def test_lines_are_folded_at_75_octets() -> None:
    text = ics.render(_event("Kantoor " + "é" * 80 + " Zuidas, 3e verdieping"), now=NOW)
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical)
    text.encode("utf-8").decode("utf-8")  # never split inside a character
    (location,) = [x for x in _unfolded(text) if x.startswith("LOCATION:")]
    assert location == "LOCATION:Kantoor " + "é" * 80 + " Zuidas\\, 3e verdieping"


def test_fold_boundaries() -> None:
    assert ics.fold("A" * 75) == "A" * 75
    assert ics.fold("A" * 76) == "A" * 75 + "\r\n " + "A"
    folded = ics.fold("A" * 200)
    assert [len(p) for p in folded.split("\r\n")] == [75, 75, 1 + 200 - 75 - 74]
    assert folded.replace("\r\n ", "") == "A" * 200


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a,b", "a\\,b"),
        ("a;b", "a\\;b"),
        ("a\\b", "a\\\\b"),
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\nb"),
        ("plain: text", "plain: text"),
        ("\\,", "\\\\\\,"),
    ],
)
def test_escaping(raw: str, escaped: str) -> None:
    assert ics.escape(raw) == escaped


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        ics.utc_stamp(dt.datetime(2026, 12, 2, 9))
