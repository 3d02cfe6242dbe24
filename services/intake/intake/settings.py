"""Intake settings (environment prefix INTAKE_, falling back to WW_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Settings of the intake service."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")
    service_name: ClassVar[str] = "intake"
    default_port: ClassVar[int] = 8001
    handles_bsn: ClassVar[bool] = True

    first_ww_day_max_past_days: int = Field(
        default=92, ge=0, description="Oldest first WW day accepted"
    )
    first_ww_day_max_future_days: int = Field(
        default=61, ge=0, description="Latest first WW day accepted"
    )
    min_age: int = Field(default=15, ge=0)
    max_age: int = Field(default=67, ge=0, description="AOW age; beyond it no WW")
