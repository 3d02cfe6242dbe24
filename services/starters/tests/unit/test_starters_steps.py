"""The decision steps' dispatch table and the row-level reach of the list (issue 16): every
step type of the API has exactly one effect, every action a guard field, and the list's
query filter follows `visible`."""

from __future__ import annotations

import uuid
from typing import get_args

import pytest
from pydantic import BaseModel

from shared.web.auth import Principal, Role
from shared.web.problems import Forbidden
from starters.applications import access, service, steps
from starters.applications.repository import Reach
from starters.applications.schemas import TransitionBody
from starters.rules.states import Action


def _step_types() -> tuple[type[BaseModel], ...]:
    union, *_ = get_args(TransitionBody)
    return get_args(union)


def test_every_step_type_of_the_api_has_one_effect() -> None:
    assert set(steps._STEPS) == set(_step_types())
    assert set(get_args(steps.Step)) == set(_step_types())


def test_each_step_type_is_one_action_and_each_action_has_a_guard_field() -> None:
    actions = {Action(*get_args(t.model_fields["action"].annotation)) for t in _step_types()}
    assert actions == set(Action)
    assert set(service._GUARD_FIELD) == set(Action)


def _principal(*roles: str, subject: str | None = None, office: str | None = None) -> Principal:
    return Principal(
        subject=subject or str(uuid.uuid4()), kind="user", roles=frozenset(roles), office=office
    )


def test_deciders_reach_every_application() -> None:
    assert access.reach(_principal(Role.BENEFITS_OFFICER)) is None
    assert access.reach(_principal(Role.ADMIN, Role.CLAIMANT)) is None


def test_reach_of_claimant_coach_and_team_lead() -> None:
    coach = uuid.uuid4()
    assert access.reach(_principal(Role.CLAIMANT, subject="c-1")) == Reach(claimant_subject="c-1")
    assert access.reach(_principal(Role.COACH, subject=str(coach))) == Reach(coach_id=coach)
    assert access.reach(_principal(Role.TEAM_LEAD, office="AMS")) == Reach(office="AMS")


@pytest.mark.parametrize(
    "principal",
    [
        _principal(Role.COACH, subject="not-a-uuid"),  # a coach's subject is their coach id
        _principal(Role.TEAM_LEAD),  # a team lead without an office
    ],
)
def test_a_caller_who_reaches_nothing_is_refused(principal: Principal) -> None:
    with pytest.raises(Forbidden):
        access.reach(principal)
