"""Starters settings (environment prefix STARTERS_, falling back to WW_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class StartersSettings(ServiceSettings):
    """Settings of the starters service."""

    model_config = SettingsConfigDict(env_prefix="STARTERS_", extra="ignore")
    service_name: ClassVar[str] = "starters"
    default_port: ClassVar[int] = 8004
