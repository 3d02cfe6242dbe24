"""FastAPI dependencies of the starters routers: the container typed with
`StartersSettings`, and what the routes take from it.

A route declares `container: Container` (or `settings: Settings`, `today: Today`) instead of
`Depends(get_container)` plus an `isinstance` check on the settings; none of these adds a
parameter to the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends

from shared.clock import local_today
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from starters.settings import StartersSettings

Container = Annotated[ServiceContainer[StartersSettings], Depends(get_container)]


def get_settings(container: Container) -> StartersSettings:
    """The settings the starters container was built with."""
    return container.settings


Settings = Annotated[StartersSettings, Depends(get_settings)]


def get_today() -> dt.date:
    """The request's calendar day in the Netherlands (`shared.clock.local_today`)."""
    return local_today()


Today = Annotated[dt.date, Depends(get_today)]
