"""One input rule for every request: text, dates, times and numbers the database can hold.

Every request body model derives from `RequestModel`; every query and path parameter goes
through `check_parameters`, an app-wide dependency. Both apply the same checks, so a new
field or route cannot forget them (`tests/contract/test_request_models.py` fails when a
body model does not derive from `RequestModel`). See ADR 0024.

- Text: no NUL, no other C0 control (U+0001-U+001F), no DEL (U+007F), no C1 control
  (U+0080-U+009F) and no lone surrogate (U+D800-U+DFFF). PostgreSQL cannot store NUL and
  psycopg cannot encode a lone surrogate, so these reached the database as a 500; the
  others are never meaningful in a name, code or title and make log and CSV injection
  easy. TAB, LF and CR are allowed only in fields marked `MultiLine` (notes, reasons,
  descriptions), never in query or path parameters.
- Length: every string has a `maxLength` (`DEFAULT_MAX_LENGTH` unless the field sets its
  own), so no request can make the database store megabytes in one field.
- Dates and datetimes lie in `EARLIEST_DATE`..`LATEST_DATE`: outside it, date arithmetic
  overflows (year 9999 + 1 day) and no WW fact is meaningful there. Policy limits (the
  starters simulation needs a complete parameter set) belong to the service that has them.
- Times of day are local wall-clock times: an offset (`09:00+02:00`) is refused, since
  mixing aware and naive times either failed or silently shifted the period.
- Integers fit a PostgreSQL `integer`; floats and decimals are finite and either 0 or
  at least `SMALLEST_MAGNITUDE` in magnitude.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import functools
import typing
from typing import Annotated, Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

DEFAULT_MAX_LENGTH = 2000
"""`maxLength` of a string field that does not declare its own."""

EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
"""Sanity bounds of any date in a request (a birth date is after 1900; a WW fact before 2100)."""

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
"""Range of a PostgreSQL `integer`, the narrowest column an integer field is stored in."""

SMALLEST_MAGNITUDE = 1e-6
"""Smallest non-zero magnitude of a float or decimal in a request."""

_MULTILINE_ALLOWED = frozenset("\t\n\r")


class MultiLine:
    """Marker: `Annotated[str, MultiLine()]` lets a free-text field carry TAB, LF and CR."""

    def __repr__(self) -> str:
        return "MultiLine()"


def _bad_char(value: str, *, multiline: bool) -> str | None:
    for ch in value:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            if multiline and ch in _MULTILINE_ALLOWED:
                continue
            return f"U+{code:04X}"
    return None


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is not acceptable request text, or None when it is."""
    bad = _bad_char(value, multiline=multiline)
    if bad is None:
        return None
    if multiline:
        return f"must not contain control characters other than tab and line breaks ({bad})"
    return f"must not contain control characters or line breaks ({bad})"


def _has_marker(annotation: Any, metadata: list[Any]) -> bool:
    if any(isinstance(m, MultiLine) for m in metadata):
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        if any(isinstance(m, MultiLine) for m in annotation.__metadata__):
            return True
    return any(_has_marker(arg, []) for arg in typing.get_args(annotation))


@functools.cache
def _is_multiline(model: type[BaseModel], field: str) -> bool:
    info = model.model_fields.get(field)
    return info is not None and _has_marker(info.annotation, list(info.metadata))


def _error(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid_value", message)


def _check(value: Any, *, multiline: bool) -> None:
    """Walk a validated value (nested lists, dicts and models included) and raise on a bad one."""
    if isinstance(value, enum.Enum):  # already one of a fixed set
        return
    if isinstance(value, str):
        problem = text_problem(value, multiline=multiline)
        if problem:
            raise _error(problem)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            raise _error(f"must be between {INT_MIN} and {INT_MAX}")
    elif isinstance(value, float | decimal.Decimal):
        magnitude = float(abs(value))  # type: ignore[arg-type]  # float or Decimal here
        if magnitude != magnitude or magnitude == float("inf"):
            raise _error("must be a finite number")
        # No quantity here (hours, euros, shares) is meaningful below a millionth; a
        # subnormal like 5e-324 passed `gt=0` and then divided into infinities.
        if value != 0 and magnitude < SMALLEST_MAGNITUDE:
            raise _error(f"must be 0 or at least {SMALLEST_MAGNITUDE} in magnitude")
    elif isinstance(value, dt.datetime):
        if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
            raise _error(f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    elif isinstance(value, dt.date):
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise _error(f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    elif isinstance(value, dt.time):
        if value.tzinfo is not None:
            raise _error("must be a local wall-clock time without a UTC offset")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, multiline=False)
            _check(item, multiline=multiline)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check(item, multiline=multiline)
    # A nested BaseModel is a RequestModel too (contract test) and checked its own fields.


class RequestModel(BaseModel):
    """Base of every request body model: the input rules above, for every field."""

    model_config = ConfigDict(str_max_length=DEFAULT_MAX_LENGTH, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _ww_input_rules(cls, value: Any, info: ValidationInfo) -> Any:
        multiline = info.field_name is not None and _is_multiline(cls, info.field_name)
        _check(value, multiline=multiline)
        return value


def _bounded(value: Any) -> Any:
    _check(value, multiline=False)
    return value


Day = Annotated[dt.date, AfterValidator(_bounded)]
"""A date query parameter within `EARLIEST_DATE`..`LATEST_DATE` (a body field is checked anyway)."""

Moment = Annotated[AwareDatetime, AfterValidator(_bounded)]
"""An aware datetime query parameter within the same bounds."""


def check_parameters(request: Request) -> None:
    """App-wide dependency: query and path parameters follow the single-line text rule."""
    errors: list[dict[str, Any]] = []
    for location, items in (
        ("query", request.query_params.multi_items()),
        ("path", [(k, str(v)) for k, v in request.path_params.items()]),
    ):
        for name, raw in items:
            # A bad parameter *name* is reported without repeating it.
            field = name if text_problem(name) is None else "(parameter name)"
            problem = text_problem(name) or text_problem(raw)
            if problem:
                errors.append({"type": "invalid_value", "loc": (location, field), "msg": problem})
    if errors:
        raise RequestValidationError(errors)
