"""The shared input rules and the error handler's privacy (ADR 0024)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

import pytest
from pydantic import Field, ValidationError
from sqlalchemy import exc as sa_exc

from shared.logging import _NoExceptionText, safe_error_fields
from shared.web.problems import _message, database_unavailable
from shared.web.validation import MultiLine, RequestModel, text_problem


class Body(RequestModel):
    name: str
    note: Annotated[str | None, MultiLine()] = None
    tags: list[str] = Field(default_factory=list)
    answers: dict[str, str | int | float] = Field(default_factory=dict)
    when: dt.date | None = None
    at: dt.time | None = None
    count: int | None = None
    hours: float | None = None
    code: str = Field(default="x", max_length=5)


def _fields(**data: object) -> list[tuple[str | int, ...]]:
    with pytest.raises(ValidationError) as info:
        Body.model_validate({"name": "ok", **data})
    return [e["loc"][:1] for e in info.value.errors()]


@pytest.mark.parametrize(
    "ch", ["\x00", "\x01", "\x1f", "\x7f", "\x80", "\x9f", "\ud800", "\n", "\r", "\t"]
)
def test_single_line_text_refuses_controls_and_line_breaks(ch: str) -> None:
    assert _fields(name=f"a{ch}b") == [("name",)]
    assert _fields(tags=["ok", f"a{ch}b"]) == [("tags",)]
    assert _fields(answers={f"k{ch}": "v"}) == [("answers",)]


def test_multi_line_text_allows_tab_and_line_breaks_only() -> None:
    assert Body(name="ok", note="line 1\r\nline 2\tend").note == "line 1\r\nline 2\tend"
    assert _fields(note="a\x00b") == [("note",)]
    assert _fields(note="a\x0bb") == [("note",)]


def test_ordinary_unicode_is_text() -> None:
    for value in ("Çelik-Đorđević", "日本語", "emoji 🙂", "a\u00a0b", "a\u2028b"[:1]):
        assert text_problem(value) is None


def test_strings_are_bounded_by_default_and_by_field() -> None:
    assert _fields(name="x" * 2001) == [("name",)]
    assert _fields(code="x" * 6) == [("code",)]
    assert Body.model_json_schema()["properties"]["name"]["maxLength"] == 2000


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"when": "0001-01-01"}, "when"),
        ({"when": "9999-12-31"}, "when"),
        ({"at": "09:00+02:00"}, "at"),
        ({"at": "09:00Z"}, "at"),
        ({"count": 2**31}, "count"),
        ({"count": -(2**31) - 1}, "count"),
        ({"hours": 5e-324}, "hours"),
        ({"hours": "NaN"}, "hours"),
        ({"hours": "Infinity"}, "hours"),
    ],
)
def test_out_of_range_values_name_the_field(data: dict[str, object], field: str) -> None:
    assert _fields(**data) == [(field,)]


def test_values_within_the_bounds_pass() -> None:
    b = Body(name="ok", when="1900-01-01", at="09:00", count=2**31 - 1, hours=0.0)
    assert b.when == dt.date(1900, 1, 1)
    assert Body(name="ok", when="2100-12-31", hours=0.5).hours == 0.5


def test_a_message_never_carries_the_rejected_input() -> None:
    err = {
        "type": "value_error",
        "msg": "Value error, unknown sector 'Zwanenburg'",
        "input": "Zwanenburg",
    }
    assert "Zwanenburg" not in _message(err)
    assert _message({"type": "missing", "msg": "Field required", "input": {}}) == "Field required"


class _PgError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("Key (email)=(jan@example.nl) already exists")
        self.sqlstate = sqlstate


def _wrapped(cls: type[sa_exc.DBAPIError], sqlstate: str | None) -> sa_exc.DBAPIError:
    return cls("INSERT ...", {"email": "jan@example.nl"}, _PgError(sqlstate), hide_parameters=True)


def test_which_database_errors_mean_unavailable() -> None:
    assert database_unavailable(_wrapped(sa_exc.OperationalError, "08006"))
    assert database_unavailable(_wrapped(sa_exc.OperationalError, "57P01"))  # admin shutdown
    assert database_unavailable(_wrapped(sa_exc.OperationalError, None))  # refused
    assert database_unavailable(sa_exc.TimeoutError("pool"))
    assert not database_unavailable(_wrapped(sa_exc.IntegrityError, "23505"))
    assert not database_unavailable(_wrapped(sa_exc.DataError, "22P05"))


def test_safe_error_fields_carry_no_message_or_parameters() -> None:
    try:
        try:
            raise _wrapped(sa_exc.IntegrityError, "23505")
        except sa_exc.IntegrityError as inner:
            raise RuntimeError("for jan@example.nl") from inner
    except RuntimeError as exc:
        fields = safe_error_fields(exc)
    assert "jan@example.nl" not in repr(fields)
    assert fields["error_type"] == "RuntimeError"
    assert any("IntegrityError" in t for t in fields["error_chain"])
    assert fields["stack"]


def test_the_server_log_of_an_unhandled_error_keeps_only_safe_fields() -> None:
    try:
        raise _wrapped(sa_exc.IntegrityError, "23505")
    except sa_exc.IntegrityError:
        import sys

        record = logging.LogRecord(
            "uvicorn.error",
            logging.ERROR,
            __file__,
            1,
            "Exception in ASGI application",
            (),
            sys.exc_info(),
        )
    assert _NoExceptionText().filter(record)
    assert record.exc_info is None
    assert "jan@example.nl" not in record.getMessage()
