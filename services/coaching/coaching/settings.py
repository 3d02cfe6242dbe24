"""Coaching settings (environment prefix COACHING_, falling back to WW_)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from coaching.assignment.rules import AssignmentPolicy
from coaching.noshows.rules import NoShowPolicy
from coaching.obligations.rules import ObligationPolicy
from coaching.partner.placements.rules import PartialLimits
from shared.settings import ServiceSettings


class CoachingSettings(ServiceSettings):
    """Settings of the coaching service."""

    model_config = SettingsConfigDict(env_prefix="COACHING_", extra="ignore")
    service_name: ClassVar[str] = "coaching"
    default_port: ClassVar[int] = 8003
    stores_idempotency_keys: ClassVar[bool] = True

    max_cases_per_contract_hour: float = Field(
        default=5.0,
        gt=0,
        description="Maximum caseload per contract hour (docs/coaching-rules.md: 180 at 36 h)",
    )
    digital_checkin_weeks: int = Field(
        default=13, ge=1, description="Re-triage check-in of a digital-service case, in weeks"
    )

    obligation_regular_required: int = Field(
        default=4,
        ge=0,
        description="Job-search activities per period of the regular regime "
        "(docs/coaching-rules.md section 2)",
    )
    obligation_period_days: int = Field(
        default=28,
        ge=1,
        description="Days per job-search obligation period; do not change on a running "
        "system (stored periods keep their old boundaries)",
    )
    cv_posting_counts: bool = Field(
        default=True, description="Posting a CV counts as a job-search activity"
    )
    obligation_task_due_days: int = Field(
        default=7, ge=0, description="A missed period's coach task is due this many days later"
    )
    obligation_run_chunk_size: int = Field(
        default=500, ge=1, le=10_000, description="Cases per transaction of the evaluation run"
    )

    no_show_repeat_threshold: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Intake no-shows of a claim that make a repeated no-show: a coach task, "
        "and a digital case moves to personal service (docs/coaching-rules.md section 6)",
    )
    no_show_task_due_working_days: int = Field(
        default=2,
        ge=0,
        le=30,
        description="A repeated no-show's coach task is due this many working days after "
        "the no-show was recorded",
    )

    def no_show_policy(self) -> NoShowPolicy:
        """The no-show rules' numbers from these settings."""
        return NoShowPolicy(
            repeat_threshold=self.no_show_repeat_threshold,
            task_due_working_days=self.no_show_task_due_working_days,
        )

    def assignment_policy(self) -> AssignmentPolicy:
        """The assignment rules' numbers from these settings."""
        return AssignmentPolicy(
            max_cases_per_contract_hour=self.max_cases_per_contract_hour,
            digital_checkin_weeks=self.digital_checkin_weeks,
        )

    def partial_limits(self) -> PartialLimits:
        """The limits on partial placements from these settings."""
        return PartialLimits(
            per_client_per_quarter=self.partner_partial_placements_per_quarter,
            max_hours_per_week=self.partner_partial_hours_per_week_max,
        )

    def obligation_policy(self) -> ObligationPolicy:
        """The job-search obligation rules' numbers from these settings."""
        return ObligationPolicy(
            regular_required=self.obligation_regular_required,
            period_days=self.obligation_period_days,
            cv_posting_counts=self.cv_posting_counts,
        )

    # Partner API (docs/partner-api.md) ------------------------------------------------------
    partner_token_ttl_minutes: int = Field(
        default=15, ge=1, le=60, description="Lifetime of a partner access token, in minutes"
    )
    partner_default_requests_per_minute: int = Field(
        default=120, ge=1, le=100_000, description="Rate limit of a new partner client"
    )
    partner_default_daily_profile_cap: int = Field(
        default=200,
        ge=0,
        le=1_000_000,
        description="Candidate profiles a new partner client may view per day",
    )
    partner_default_rotation_overlap_hours: int = Field(
        default=24,
        ge=0,
        le=168,
        description="Hours the previous secret keeps working after a rotation (max 7 days)",
    )
    # Token throttling (ADR 0023): wrong secrets per client id and caller address. Secrets
    # carry 256 random bits, so this is not what keeps them safe; it makes guessing loud
    # (audited) and cheap to refuse, while an attacker elsewhere cannot lock an agency out.
    partner_token_failures_per_window: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Failed client authentications per client id and caller address in one "
        "window before the token endpoint answers 429",
    )
    partner_token_failure_window_s: int = Field(
        default=300,
        ge=10,
        le=86_400,
        description="Length of the token-failure window, in seconds (also the longest Retry-After)",
    )
    partner_partial_placements_per_quarter: int = Field(
        default=2,
        ge=1,
        le=50,
        description="Partial placements one agency may report for one candidate per quarter "
        "of the start date; more is 409 (docs/partner-placements.md)",
    )
    partner_partial_hours_per_week_max: float = Field(
        default=40.0,
        gt=0,
        le=80,
        description="Hours per week of all partial placements of one candidate in a quarter "
        "together (every agency); more is 422 naming hours_per_week",
    )
    partner_signing_key_file: Path | None = Field(
        default=None,
        description="EC P-256 key that signs partner access tokens (defaults to "
        "auth_local_key_file); every replica must share it",
    )
