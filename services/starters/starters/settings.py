"""Starters settings (environment prefix STARTERS_, falling back to WW_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class StartersSettings(ServiceSettings):
    """Settings of the starters service."""

    model_config = SettingsConfigDict(env_prefix="STARTERS_", extra="ignore")
    service_name: ClassVar[str] = "starters"
    default_port: ClassVar[int] = 8004

    variants_enabled: bool = Field(
        default=False,
        description="Allow the NOT CURRENT LAW variants (group start, gradual start)",
    )
    statement_grace_days: int = Field(
        default=14,
        ge=0,
        le=60,
        description="Days after a start-period month before a missing statement is reminded",
    )
