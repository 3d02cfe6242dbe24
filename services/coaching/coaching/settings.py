"""Coaching settings (environment prefix COACHING_, falling back to WW_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from coaching.assignment.rules import AssignmentPolicy
from shared.settings import ServiceSettings


class CoachingSettings(ServiceSettings):
    """Settings of the coaching service."""

    model_config = SettingsConfigDict(env_prefix="COACHING_", extra="ignore")
    service_name: ClassVar[str] = "coaching"
    default_port: ClassVar[int] = 8003

    max_cases_per_contract_hour: float = Field(
        default=5.0,
        gt=0,
        description="Maximum caseload per contract hour (docs/coaching-rules.md: 180 at 36 h)",
    )
    digital_checkin_weeks: int = Field(
        default=13, ge=1, description="Re-triage check-in of a digital-service case, in weeks"
    )

    def assignment_policy(self) -> AssignmentPolicy:
        """The assignment rules' numbers from these settings."""
        return AssignmentPolicy(
            max_cases_per_contract_hour=self.max_cases_per_contract_hour,
            digital_checkin_weeks=self.digital_checkin_weeks,
        )
