"""Coaching settings (environment prefix COACHING_, falling back to WW_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class CoachingSettings(ServiceSettings):
    """Settings of the coaching service."""

    model_config = SettingsConfigDict(env_prefix="COACHING_", extra="ignore")
    service_name: ClassVar[str] = "coaching"
    default_port: ClassVar[int] = 8003
