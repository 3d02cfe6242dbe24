"""HTTP API of the dated parameters (`/v1/starters/parameters`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from shared.decimals import Decimal2
from shared.web.auth import Principal, Role, requires
from shared.web.problems import PROBLEM_RESPONSES
from shared.web.validation import RequestModel
from starters.deps import Container, Today
from starters.parameters import service

router = APIRouter(prefix="/v1/starters", tags=["parameters"], responses=PROBLEM_RESPONSES)


class ParameterIn(RequestModel):
    """A new dated value of a parameter (a rule change as data)."""

    name: str = Field(min_length=1, max_length=60)
    value: Decimal | bool = Field(description="A number (or true/false for a switch)")
    valid_from: dt.date
    source: str = Field(min_length=1, max_length=300, description="The law or decree")


class ParameterOut(BaseModel):
    """One dated value and its version label: a decimal as a string with two places
    ("29.00"), a whole number (weeks, months) as a JSON integer, a switch as a boolean."""

    name: str
    value: bool | int | Decimal2
    valid_from: dt.date
    source: str
    version: str


@router.get("/parameters", response_model=list[ParameterOut], summary="The dated parameters")
def list_parameters(
    container: Container,
    principal: Principal = Depends(
        requires(roles=(Role.BENEFITS_OFFICER, Role.COACH, Role.TEAM_LEAD, Role.ADMIN))
    ),
) -> list[ParameterOut]:
    """Every value with its validity date: the shipped ones and those added since."""
    with container.uow() as uow:
        params = service.current(uow)
    return [
        ParameterOut(
            name=v.name,
            value=v.value,
            valid_from=v.valid_from,
            source=v.source,
            version=v.version,
        )
        for v in params.values()
    ]


@router.post(
    "/parameters",
    status_code=status.HTTP_201_CREATED,
    response_model=ParameterOut,
    summary="Add a dated value (admin)",
)
def add_parameter(
    body: ParameterIn,
    container: Container,
    today: Today,
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
) -> ParameterOut:
    """From tomorrow at the earliest; audited. Computations for days from `valid_from` use
    it and name its version."""
    with container.uow() as uow:
        v = service.add(
            uow=uow,
            name=body.name,
            value=body.value,
            valid_from=body.valid_from,
            source=body.source,
            principal=principal,
            today=today,
        )
    return ParameterOut(
        name=v.name,
        value=v.value,
        valid_from=v.valid_from,
        source=v.source,
        version=v.version,
    )
