"""The parameter set in force: the shipped data file plus the values added through the API."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal
from shared.web.problems import Conflict, InvalidField
from starters.parameters import repository
from starters.parameters.models import ParameterRow
from starters.rules.parameters import (
    DEFAULT_PARAMETERS,
    ParameterSet,
    ParameterValue,
    validate_parameter,
)


def _value(raw: Any) -> Decimal | int | bool:
    if isinstance(raw, bool | int):
        return raw
    return Decimal(str(raw))


# A service that allows the NOT CURRENT LAW variants (STARTERS_VARIANTS_ENABLED) computes
# their schedules as if the switches had always been on; the stored values stay untouched.
_VARIANTS_ON = tuple(
    ParameterValue(
        name=name,
        value=True,
        valid_from=dt.date(2015, 1, 1),
        source="NOT CURRENT LAW: enabled by STARTERS_VARIANTS_ENABLED",
    )
    for name in ("group_start_enabled", "gradual_start_enabled")
)


def current(uow: UnitOfWork, *, variants_enabled: bool = False) -> ParameterSet:
    """DEFAULT_PARAMETERS with every stored value added (a stored value with the same name
    and valid_from replaces the shipped one); with `variants_enabled` the variants' switches
    are on (the service setting STARTERS_VARIANTS_ENABLED)."""
    rows = repository.all_rows(uow.session)
    extra = [
        ParameterValue(name=r.name, value=_value(r.value), valid_from=r.valid_from, source=r.source)
        for r in rows
    ]
    if variants_enabled:
        extra.extend(_VARIANTS_ON)
    return DEFAULT_PARAMETERS.with_values(extra) if extra else DEFAULT_PARAMETERS


def add(
    *,
    uow: UnitOfWork,
    name: str,
    value: Decimal | int | bool,
    valid_from: dt.date,
    source: str,
    principal: Principal,
    today: dt.date,
) -> ParameterValue:
    """Record a new dated value (a rule change as data). Values take effect from a future
    day only: the past is not rewritten (409 for a day before tomorrow)."""
    try:
        value = validate_parameter(name, value)
    except (KeyError, ValueError, TypeError) as exc:
        field = "name" if isinstance(exc, KeyError) else "value"
        raise InvalidField(field, str(exc).strip("'\"")) from None
    if valid_from <= today:
        raise InvalidField("valid_from", "a new value takes effect from tomorrow at the earliest")
    if repository.find(uow.session, name, valid_from) is not None:
        raise Conflict(f"{name} already has a value from {valid_from.isoformat()}")
    stored: Any = value if isinstance(value, bool | int) else str(value)
    repository.add(
        uow.session,
        ParameterRow(
            id=uuid.uuid4(),
            name=name,
            value=stored,
            valid_from=valid_from,
            source=source,
            created_by=principal.subject,
            created_at=utcnow(),
        ),
    )
    uow.audit(
        actor=principal.as_actor(),
        action="parameter.add",
        resource_type="parameter",
        resource_id=f"{name}@{valid_from.isoformat()}",
        reason=source,
        new={"name": name, "value": stored, "valid_from": valid_from.isoformat()},
    )
    uow.commit()
    return ParameterValue(name=name, value=value, valid_from=valid_from, source=source)
