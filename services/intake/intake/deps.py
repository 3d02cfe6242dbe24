"""FastAPI dependencies of the intake routers: the container typed with `IntakeSettings`,
and what the routes take from it.

A route declares `container: Container` (or `settings: Settings`, `today: Today`) instead of
`Depends(get_container)` plus an `isinstance` check on the settings; none of these adds a
parameter to the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends

from intake.settings import IntakeSettings
from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.web.app import get_container

Container = Annotated[ServiceContainer[IntakeSettings], Depends(get_container)]


def get_settings(container: Container) -> IntakeSettings:
    """The settings the intake container was built with."""
    return container.settings


Settings = Annotated[IntakeSettings, Depends(get_settings)]


def get_now() -> dt.datetime:
    """The request's moment (aware, UTC)."""
    return dt.datetime.now(dt.UTC)


Now = Annotated[dt.datetime, Depends(get_now)]


def get_today(now: Now) -> dt.date:
    """The request's calendar day in the Netherlands (`shared.clock.local_today`)."""
    return local_today(now)


Today = Annotated[dt.date, Depends(get_today)]
