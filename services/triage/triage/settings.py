"""Triage settings (environment prefix TRIAGE_, falling back to WW_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class TriageSettings(ServiceSettings):
    """Settings of the triage service."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore")
    service_name: ClassVar[str] = "triage"
    default_port: ClassVar[int] = 8002

    segment_threshold: float = Field(
        default=0.5, gt=0, lt=1, description="<= threshold: personal service"
    )
