"""FastAPI dependencies of the triage routers: the container typed on triage's settings, the
settings themselves and the service's calendar day.

Routers take `container: Container` (the parameter name is not part of the API: a dependency
adds nothing to the OpenAPI document) and read `container.settings` as `TriageSettings`
without narrowing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends

from shared.clock import local_today
from shared.db.types import utcnow
from shared.runtime import ServiceContainer
from shared.web.app import get_container
from triage.settings import TriageSettings

Container = Annotated[ServiceContainer[TriageSettings], Depends(get_container)]


def get_settings(container: Container) -> TriageSettings:
    """The service's settings."""
    return container.settings


Settings = Annotated[TriageSettings, Depends(get_settings)]


def get_today() -> dt.date:
    """Today in the Netherlands (the reports' default periods end on it)."""
    return local_today(utcnow())


Today = Annotated[dt.date, Depends(get_today)]
