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
    default_model_version: str = Field(
        default="werkverkenner-2026.1",
        min_length=1,
        max_length=40,
        description="Activated at start-up when no model version is active yet",
    )
    retriage_after_weeks: int = Field(
        default=13,
        ge=1,
        le=104,
        description="Re-triage a running claim once after this many weeks in WW",
    )
    retriage_run_limit: int = Field(
        default=5000, ge=1, le=1_000_000, description="Claims re-triaged per run at most"
    )
    batch_chunk_size: int = Field(
        default=500, ge=1, le=100_000, description="Claims per transaction in `ww triage score-all`"
    )
