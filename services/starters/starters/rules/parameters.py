"""Parameters of the starters scheme as dated data (issue 6, item 4). Pure: no database.

A rule change is a data change: a new `ParameterValue` with the day it takes effect. The
value of a parameter on a day is the one with the latest `valid_from` on or before that
day. Every computation records the `version` (``name@valid_from``) of each value it used.

The shipped values live in ``parameters.json`` next to this module (see
docs/starters-rules.md for the table and the sources). The service adds values through
its admin API; `validate_parameter` checks them, `ParameterSet.with_values` combines them.

Every parameter has a `ParameterSpec`: its kind (a `Decimal`, an `int` or a `bool`) and,
for numbers, an inclusive range. Decimal values are stored as strings in JSON so that
``290.67`` stays exact.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

ParamValue = Decimal | int | bool
Kind = Literal["decimal", "int", "bool"]

PARAMETERS_FILE = Path(__file__).with_name("parameters.json")


class UnknownParameter(KeyError):
    """The name is not a parameter of the starters scheme."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown parameter"


class NoParameterValue(KeyError):
    """The parameter has no value valid on the day asked for (all values start later)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no parameter value"


class InvalidParameter(ValueError):
    """A parameter value of the wrong kind or out of range."""


@dataclass(frozen=True)
class ParameterSpec:
    """What a parameter may hold: its kind, an inclusive range for numbers, a description."""

    name: str
    kind: Kind
    description: str
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    not_current_law: bool = False


def _spec(
    name: str,
    kind: Kind,
    description: str,
    minimum: str | None = None,
    maximum: str | None = None,
    *,
    not_current_law: bool = False,
) -> ParameterSpec:
    return ParameterSpec(
        name=name,
        kind=kind,
        description=description,
        minimum=None if minimum is None else Decimal(minimum),
        maximum=None if maximum is None else Decimal(maximum),
        not_current_law=not_current_law,
    )


PARAMETER_SPECS: Mapping[str, ParameterSpec] = {
    s.name: s
    for s in (
        _spec("research_period_max_weeks", "int", "longest research period, weeks", "1", "52"),
        _spec("start_period_weeks", "int", "start period length in weeks", "1", "104"),
        _spec("start_period_months", "int", "start period length in months", "1", "24"),
        _spec(
            "start_period_in_months",
            "bool",
            "true: the start period is start_period_months months, false: start_period_weeks weeks",
        ),
        _spec(
            "start_period_reduction_percent",
            "decimal",
            "WW reduction during the start period, percent",
            "0",
            "100",
        ),
        _spec(
            "after_start_deduction_percent",
            "decimal",
            "share of the fictitious income deducted after the start period, percent",
            "0",
            "100",
        ),
        _spec(
            "fictitious_income_uses_capped_dagloon",
            "bool",
            "true: the fictitious income uses the dagloon capped at the maximum dagloon",
        ),
        _spec("revival_window_months", "int", "revival window in months", "1", "120"),
        _spec(
            "revival_during_start_period_allowed",
            "bool",
            "whether revival is possible during the start period (unconfirmed in law)",
        ),
        _spec("ww_percent_first_months", "decimal", "WW percentage, first months", "0", "100"),
        _spec("ww_first_months", "int", "months at the first-months percentage", "0", "24"),
        _spec("ww_percent_after", "decimal", "WW percentage after the first months", "0", "100"),
        _spec("days_per_month", "decimal", "WW days per calendar month", "1", "31"),
        _spec("max_dagloon", "decimal", "maximum dagloon, EUR", "0", "10000"),
        _spec(
            "entitlement_max_months",
            "int",
            "longest WW entitlement in months, by the first WW day",
            "3",
            "38",
        ),
        _spec(
            "group_start_enabled",
            "bool",
            "NOT CURRENT LAW: allow the group-start variant",
            not_current_law=True,
        ),
        _spec(
            "group_start_max_members",
            "int",
            "NOT CURRENT LAW: most claimants in one group start",
            "2",
            "100",
            not_current_law=True,
        ),
        _spec(
            "gradual_start_enabled",
            "bool",
            "NOT CURRENT LAW: allow the gradual-start variant",
            not_current_law=True,
        ),
    )
}


def validate_parameter(name: str, value: Any) -> ParamValue:
    """Check a value for a parameter and return it in its canonical type (for the admin API).

    Decimals accept a `Decimal`, an `int`, a finite `float` (via its shortest repr) or a
    numeric string; ints accept an `int` (not a `bool`) or an integral decimal; bools only
    a `bool`. Raises `UnknownParameter` for an unknown name, `InvalidParameter` otherwise.
    """
    spec = PARAMETER_SPECS.get(name)
    if spec is None:
        raise UnknownParameter(
            f"unknown starters parameter {name!r}; known: {', '.join(sorted(PARAMETER_SPECS))}"
        )
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise InvalidParameter(f"{name} must be true or false")
        return value
    if isinstance(value, bool):
        raise InvalidParameter(f"{name} must be a number, not a boolean")
    number: Decimal
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, Decimal | int | str):
            number = Decimal(value)
        else:
            raise InvalidParameter(f"{name} must be a number")
    except InvalidOperation as exc:
        raise InvalidParameter(f"{name} must be a number") from exc
    if not number.is_finite():
        raise InvalidParameter(f"{name} must be a finite number")
    if spec.minimum is not None and number < spec.minimum:
        raise InvalidParameter(f"{name} must be at least {spec.minimum}")
    if spec.maximum is not None and number > spec.maximum:
        raise InvalidParameter(f"{name} must be at most {spec.maximum}")
    if spec.kind == "int":
        if number != number.to_integral_value():
            raise InvalidParameter(f"{name} must be a whole number")
        return int(number)
    if number != number.quantize(Decimal("0.01")):
        # Decimals leave the API with two places (ADR 0019): a third would be rounded away.
        raise InvalidParameter(f"{name} has at most two decimal places")
    return number


@dataclass(frozen=True)
class ParameterValue:
    """One dated value of a parameter: valid from `valid_from` until the next value starts."""

    name: str
    value: ParamValue
    valid_from: dt.date
    source: str

    @property
    def version(self) -> str:
        """The identifier recorded by computations: ``name@valid_from``."""
        return f"{self.name}@{self.valid_from.isoformat()}"

    def as_decimal(self) -> Decimal:
        """The value of a decimal parameter (TypeError for another kind)."""
        v = self.value
        if isinstance(v, bool) or not isinstance(v, Decimal):
            raise TypeError(f"starters parameter {self.name!r} is not a decimal")
        return v

    def as_int(self) -> int:
        """The value of an int parameter (TypeError for another kind)."""
        v = self.value
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"starters parameter {self.name!r} is not an int")
        return v

    def as_bool(self) -> bool:
        """The value of a bool parameter (TypeError for another kind)."""
        v = self.value
        if not isinstance(v, bool):
            raise TypeError(f"starters parameter {self.name!r} is not a bool")
        return v

    def to_json(self) -> dict[str, Any]:
        """The JSON form used in ``parameters.json`` (decimals as strings)."""
        value: Any = str(self.value) if isinstance(self.value, Decimal) else self.value
        return {
            "name": self.name,
            "value": value,
            "valid_from": self.valid_from.isoformat(),
            "source": self.source,
        }

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> ParameterValue:
        """Parse and validate one ``{name, value, valid_from, source}`` entry."""
        name = str(item["name"])
        return cls(
            name=name,
            value=validate_parameter(name, item["value"]),
            valid_from=dt.date.fromisoformat(str(item["valid_from"])),
            source=str(item.get("source", "")),
        )


class ParameterSet:
    """An immutable set of dated parameter values; `at(name, day)` picks the one in force."""

    __slots__ = ("_by_name", "_starts")

    def __init__(self, values: Iterable[ParameterValue]) -> None:
        by_name: dict[str, list[ParameterValue]] = {}
        for pv in values:
            canonical = validate_parameter(pv.name, pv.value)
            if type(canonical) is not type(pv.value) or canonical != pv.value:
                pv = ParameterValue(pv.name, canonical, pv.valid_from, pv.source)
            by_name.setdefault(pv.name, []).append(pv)
        for name, items in by_name.items():
            items.sort(key=lambda p: p.valid_from)
            for a, b in itertools.pairwise(items):
                if a.valid_from == b.valid_from:
                    raise ValueError(f"two values for {name} valid from {a.valid_from.isoformat()}")
        self._by_name: dict[str, tuple[ParameterValue, ...]] = {
            n: tuple(v) for n, v in sorted(by_name.items())
        }
        self._starts: dict[str, list[dt.date]] = {
            n: [p.valid_from for p in v] for n, v in self._by_name.items()
        }

    def complete_from(self) -> dt.date | None:
        """The first day on which every parameter of the set has a value (None: empty set)."""
        firsts = [starts[0] for starts in self._starts.values() if starts]
        return max(firsts) if firsts else None

    def at(self, name: str, day: dt.date) -> ParameterValue:
        """The value of `name` in force on `day`: the latest `valid_from` on or before it."""
        starts = self._starts.get(name)
        if starts is None:
            if name in PARAMETER_SPECS:
                raise NoParameterValue(f"starters parameter {name!r} has no values in this set")
            raise UnknownParameter(f"unknown starters parameter {name!r}")
        i = bisect.bisect_right(starts, day)
        if i == 0:
            raise NoParameterValue(
                f"starters parameter {name!r} has no value valid on {day.isoformat()} "
                f"(the first starts {starts[0].isoformat()})"
            )
        return self._by_name[name][i - 1]

    def value(self, name: str, day: dt.date) -> ParamValue:
        """`at(name, day).value`."""
        return self.at(name, day).value

    def decimal(self, name: str, day: dt.date) -> Decimal:
        """The value of a decimal parameter on `day`."""
        return self.at(name, day).as_decimal()

    def integer(self, name: str, day: dt.date) -> int:
        """The value of an int parameter on `day`."""
        return self.at(name, day).as_int()

    def flag(self, name: str, day: dt.date) -> bool:
        """The value of a bool parameter on `day`."""
        return self.at(name, day).as_bool()

    def names(self) -> tuple[str, ...]:
        """The parameter names in this set, sorted."""
        return tuple(self._by_name)

    def values(self) -> tuple[ParameterValue, ...]:
        """Every value, sorted by name and then by `valid_from`."""
        return tuple(pv for items in self._by_name.values() for pv in items)

    def history(self, name: str) -> tuple[ParameterValue, ...]:
        """The dated values of one parameter, oldest first."""
        if name not in self._by_name:
            raise UnknownParameter(f"no starters parameter {name!r} in this set")
        return self._by_name[name]

    def change_dates(self) -> tuple[dt.date, ...]:
        """Every distinct `valid_from` in the set, sorted (where a computation may change)."""
        return tuple(sorted({pv.valid_from for pv in self.values()}))

    def with_values(self, extra: Iterable[ParameterValue]) -> ParameterSet:
        """A new set with `extra` added; an extra value replaces one with the same version."""
        extra = tuple(extra)
        replaced = {(pv.name, pv.valid_from) for pv in extra}
        kept = [pv for pv in self.values() if (pv.name, pv.valid_from) not in replaced]
        return ParameterSet([*kept, *extra])

    def to_json(self) -> list[dict[str, Any]]:
        """The set in the ``parameters.json`` form."""
        return [pv.to_json() for pv in self.values()]

    @classmethod
    def from_json(cls, items: Iterable[Mapping[str, Any]]) -> ParameterSet:
        """Build a set from ``{name, value, valid_from, source}`` entries, validating each."""
        return cls(ParameterValue.from_json(item) for item in items)

    @classmethod
    def load(cls, path: Path = PARAMETERS_FILE) -> ParameterSet:
        """Read a ``parameters.json`` file."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def __iter__(self) -> Iterator[ParameterValue]:
        return iter(self.values())

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_name.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParameterSet) and self.values() == other.values()

    def __hash__(self) -> int:
        return hash(self.values())

    def __repr__(self) -> str:
        return f"ParameterSet({len(self)} values, {len(self._by_name)} names)"


DEFAULT_PARAMETERS: ParameterSet = ParameterSet.load()
