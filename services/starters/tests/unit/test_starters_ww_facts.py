"""Issue 12 item 7 (ADR 0019), the pure rules: the WW facts agree with the first WW day,
the periods end by the entitlement's end, and decimals leave as two-place strings."""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shared.decimals import DECIMAL2_PATTERN, two_places
from shared.events.envelope import Event
from shared.events.registry import REGISTRY
from shared.events.starters import (
    StartersApplied,
    StartersContinued,
    StartersStartPeriodGranted,
)
from starters.main import SPEC
from starters.rules import (
    DEFAULT_PARAMETERS,
    Action,
    GuardContext,
    InvalidParameter,
    PlanError,
    StartersPlan,
    State,
    WwFacts,
    check_guard,
    check_ww_facts,
    entitlement_end,
    monthly_schedule,
    validate_parameter,
)

D = dt.date
P = DEFAULT_PARAMETERS


# --- the entitlement end: one rule -----------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "months", "end"),
    [
        (D(2026, 1, 5), 12, D(2027, 1, 4)),  # first WW day + 12 months - 1 day
        (D(2026, 3, 1), 3, D(2026, 5, 31)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),  # no 31 February: the month's last day
        (D(2027, 8, 29), 6, D(2028, 2, 28)),  # 29 Feb 2028 exists: the day before it
        (D(2026, 1, 31), 24, D(2028, 1, 30)),
    ],
)
def test_facts_agree_exactly_when_the_end_is_first_day_plus_months_minus_a_day(
    first: dt.date, months: int, end: dt.date
) -> None:
    assert entitlement_end(first, months) == end
    assert (
        check_ww_facts(first_ww_day=first, entitlement_months=months, entitlement_end=end, params=P)
        == ()
    )
    # Omitted: nothing to disagree with (the service computes it).
    assert (
        check_ww_facts(
            first_ww_day=first, entitlement_months=months, entitlement_end=None, params=P
        )
        == ()
    )
    for wrong in (end - dt.timedelta(days=1), end + dt.timedelta(days=1)):
        (violation,) = check_ww_facts(
            first_ww_day=first, entitlement_months=months, entitlement_end=wrong, params=P
        )
        assert (violation.field, violation.code) == ("entitlement_end", "entitlement_end_mismatch")
        assert end.isoformat() in violation.message


@pytest.mark.parametrize(
    ("first", "months", "ok"),
    [
        (D(2026, 1, 5), 24, True),
        (D(2026, 1, 5), 25, False),  # at most 24 months since the WWZ phase-down
        (D(2026, 1, 5), 2, False),  # at least 3 (the weeks condition alone)
        (D(2019, 3, 31), 38, True),  # before 2019-04-01 the table allows 38
        (D(2019, 4, 1), 38, False),
    ],
)
def test_entitlement_months_by_the_first_ww_day(first: dt.date, months: int, ok: bool) -> None:
    violations = check_ww_facts(
        first_ww_day=first, entitlement_months=months, entitlement_end=None, params=P
    )
    assert (violations == ()) is ok
    if not ok:
        assert violations[0].field == "entitlement_months"


# --- never beyond the entitlement's end ------------------------------------------------------

FACTS = WwFacts(
    dagloon=Decimal("200.00"),
    first_ww_day=D(2026, 1, 5),
    entitlement_end=D(2026, 4, 4),  # 3 months
    usual_hours_per_day=Decimal(8),
)


def test_a_stored_start_period_beyond_the_entitlement_is_no_schedule() -> None:
    plan = StartersPlan(start_period_start=D(2026, 3, 2), start_period_end=D(2026, 8, 30))
    with pytest.raises(PlanError, match="after the WW entitlement"):
        monthly_schedule(FACTS, plan, P)
    # Computed, it is cut short to the entitlement's last day, and so is the schedule.
    lines = monthly_schedule(FACTS, StartersPlan(start_period_start=D(2026, 3, 2)), P)
    assert lines[-1].month == "2026-04"
    assert lines[-1].segments[-1].end == FACTS.entitlement_end


def test_a_research_period_beyond_the_entitlement_is_no_schedule() -> None:
    plan = StartersPlan(research_start=D(2026, 3, 30), research_end=D(2026, 4, 10))
    with pytest.raises(PlanError, match="research period ends after"):
        monthly_schedule(FACTS, plan, P)


def test_the_guards_keep_both_periods_inside_the_entitlement() -> None:
    research = GuardContext(
        on=D(2026, 3, 30),
        first_ww_day=FACTS.first_ww_day,
        entitlement_end=FACTS.entitlement_end,
        research_start=D(2026, 3, 30),
        research_end=D(2026, 4, 5),
    )
    codes = [v.code for v in check_guard(State.APPLIED, Action.START_RESEARCH, research, P)]
    assert codes == ["research_period_after_entitlement_end"]
    grant = GuardContext(
        on=D(2026, 3, 1),
        first_ww_day=FACTS.first_ww_day,
        entitlement_end=FACTS.entitlement_end,
        start_period_start=D(2026, 3, 2),
        start_period_end=D(2026, 8, 30),
        training_completed=True,
    )
    codes = [v.code for v in check_guard(State.APPLIED, Action.GRANT_START_PERIOD, grant, P)]
    assert codes == ["start_period_beyond_entitlement_end"]


# --- decimals: one way -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal(30), "30.00"),
        (Decimal("1234.5"), "1234.50"),
        (Decimal("200.00"), "200.00"),
        (29.0, "29.00"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("-0.001"), "0.00"),
        (Decimal("-12.345"), "-12.35"),
    ],
)
def test_two_places(value: Decimal | float, text: str) -> None:
    assert two_places(value) == text


def test_starters_events_write_decimals_as_two_place_strings_and_still_read_numbers() -> None:
    claim, app = uuid.uuid4(), uuid.uuid4()
    payloads = [
        StartersApplied(
            claim_id=claim,
            application_id=app,
            expected_start_date=D(2026, 3, 2),
            hours_per_week=Decimal(30),
            applied_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        ),
        StartersStartPeriodGranted(
            claim_id=claim,
            application_id=app,
            starts_on=D(2026, 3, 2),
            ends_on=D(2026, 8, 30),
            reduction_percent=Decimal(29),
        ),
        StartersContinued(
            claim_id=claim,
            application_id=app,
            business_hours_per_month=Decimal("40.5"),
            continued_on=D(2026, 9, 1),
        ),
    ]
    written = [json.loads(Event.create(p).to_json_bytes())["data"] for p in payloads]
    assert written[0]["hours_per_week"] == "30.00"
    assert written[1]["reduction_percent"] == "29.00"
    assert written[2]["business_hours_per_month"] == "40.50"
    # An event written before ADR 0019 (a JSON number) still parses, to the same value.
    old = json.loads(Event.create(payloads[1]).to_json_bytes())
    old["data"]["reduction_percent"] = 29.0
    parsed = REGISTRY.parse(json.dumps(old).encode())
    assert parsed.data.reduction_percent == Decimal(29)


def test_every_decimal_field_of_a_starters_event_is_a_two_place_string() -> None:
    found = 0
    for model in REGISTRY.models():
        if model.producer != "starters":
            continue
        schema = model.model_json_schema(mode="serialization")
        for name, prop in schema["properties"].items():
            annotation = str(model.model_fields[name].annotation)
            if "Decimal" in annotation or "float" in annotation:
                found += 1
                assert prop.get("pattern") == DECIMAL2_PATTERN, (model.event_type, name)
                assert prop["type"] == "string", (model.event_type, name)
    assert found == 3


def test_a_parameter_with_a_third_decimal_place_is_refused() -> None:
    assert validate_parameter("days_per_month", "21.75") == Decimal("21.75")
    with pytest.raises(InvalidParameter, match="two decimal places"):
        validate_parameter("days_per_month", "21.755")


# --- every decimal of the starters API, in the OpenAPI document ------------------------------

OPENAPI = Path(__file__).resolve().parents[4] / "docs" / "api" / "starters.openapi.json"


def _models(tp: Any) -> Iterator[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp
        for field in tp.model_fields.values():
            yield from _models(field.annotation)
    for arg in typing.get_args(tp):
        yield from _models(arg)


def _mentions_decimal(tp: Any) -> bool:
    return tp is Decimal or any(_mentions_decimal(a) for a in typing.get_args(tp))


def _response_models() -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for router in SPEC.routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.response_model is not None:
                out.update({m.__name__: m for m in _models(route.response_model)})
    return out


def test_every_decimal_in_the_starters_responses_is_a_two_place_string() -> None:
    """Each response field holding a Decimal is a string with two places, in the models and
    in the checked-in OpenAPI document; and no response property is a JSON number."""
    document = json.loads(OPENAPI.read_text())
    schemas = document["components"]["schemas"]
    decimals = []
    for name, model in _response_models().items():
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", name)  # how FastAPI names Page[ApplicationRead]
        component = schemas.get(f"{key}-Output") or schemas[key]
        for field_name, field in model.model_fields.items():
            prop = json.dumps(component["properties"][field_name])
            assert '"number"' not in prop, (name, field_name, prop)
            if _mentions_decimal(field.annotation):
                decimals.append(f"{name}.{field_name}")
                assert json.dumps(DECIMAL2_PATTERN) in prop, (name, field_name, prop)
                assert prop.count('"type": "string"') >= 1, (name, field_name, prop)
    # The ones this test must see (so a renamed model cannot make it vacuous).
    assert {
        "ApplicationRead.hours_per_week",
        "ApplicationRead.dagloon",
        "ApplicationRead.usual_hours_per_day",
        "IncomeStatementRead.business_income",
        "MonthRead.net",
        "ParameterOut.value",
    } <= set(decimals)
