"""Intake settings (environment prefix INTAKE_, falling back to WW_)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.mail.smtp import SmtpSecurity
from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Settings of the intake service."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")
    service_name: ClassVar[str] = "intake"
    default_port: ClassVar[int] = 8001
    handles_bsn: ClassVar[bool] = True
    stores_idempotency_keys: ClassVar[bool] = True

    first_ww_day_max_past_days: int = Field(
        default=92, ge=0, description="Oldest first WW day accepted"
    )
    first_ww_day_max_future_days: int = Field(
        default=61, ge=0, description="Latest first WW day accepted"
    )
    min_age: int = Field(default=15, ge=0)
    max_age: int = Field(default=67, ge=0, description="AOW age; beyond it no WW")
    intake_deadline_working_days: int = Field(
        default=5,
        ge=1,
        le=100,
        description="The intake deadline: this many working days after the later of first WW "
        "day and registration date (handbook section 3, a project rule)",
    )
    intake_booking_window_working_days: int = Field(
        default=5,
        ge=0,
        le=60,
        description="A claim whose first WW day lies in the future is booked only from this "
        "many working days before that day (the planning run picks it up then); 0: from the "
        "first WW day itself",
    )
    idempotency_key_ttl_hours: float = Field(
        default=24, gt=0, description="How long an Idempotency-Key replays its first response"
    )
    claimant_bsn_claim: str = Field(
        default="bsn",
        min_length=1,
        max_length=100,
        description="The claim of a claimant's access token that carries the BSN the sign-in "
        "(DigiD through an OIDC broker) established; brokers name it differently (ADR 0025)",
    )
    registration_refusals_per_window: int = Field(
        default=5,
        ge=1,
        le=10_000,
        description="Refused registrations (an open claim exists, not the own BSN) a claimant "
        "or partner application may have in the window before further attempts are 429",
    )
    registration_refusal_window_minutes: int = Field(
        default=60, ge=1, le=7 * 24 * 60, description="The window of the refusal limit"
    )
    slot_minutes: int = Field(
        default=45, ge=5, le=480, description="Length of one intake slot (agenda)"
    )
    slot_buffer_minutes: int = Field(
        default=15, ge=0, le=240, description="Pause between two intake slots of one coach"
    )
    slot_horizon_working_days: int = Field(
        default=20,
        ge=1,
        le=260,
        description="Slots are generated this many working days ahead when an agenda changes; "
        "booking extends a coach's slots lazily up to a claim's deadline",
    )
    intake_max_travel_minutes: int = Field(
        default=45,
        ge=0,
        le=240,
        description="Booking also searches neighbour offices within this travel time",
    )
    booking_max_attempts: int = Field(
        default=20,
        ge=1,
        le=1000,
        description=(
            "Free slots read per round of booking candidates; a booking reads further"
            " rounds, past the slots concurrent bookings hold, until none is left (ADR 0026)"
        ),
    )
    reschedule_cutoff_hours: float = Field(
        default=4,
        ge=0,
        le=168,
        description="A claimant may reschedule an intake until this many hours before its start",
    )
    no_show_rebook_working_days: int = Field(
        default=3,
        ge=1,
        le=20,
        description="After a no-show, the summons is booked within this many working days",
    )
    summons_lead_working_days: int = Field(
        default=1,
        ge=0,
        le=20,
        description="A summons lies at least this many working days ahead (1: the next working "
        "day or later, never the same day; 0 allows later today); still within "
        "no_show_rebook_working_days, else the shortfall path",
    )
    illness_cancel_pause_days: int = Field(
        default=2,
        ge=0,
        le=60,
        description="After a claimant cancels for illness, no slot is suggested or booked before "
        "this many calendar days after the cancellation day (the cancelled slot never)",
    )
    no_shows_before_attention: int = Field(
        default=2,
        ge=1,
        le=10,
        description="At this many no-shows the claim is flagged for the coach's attention",
    )
    prefer_known_coach: bool = Field(
        default=True,
        description="Among feasible slots at the nearest office, prefer a coach the claimant "
        "has met in an earlier held intake",
    )
    # E-mail (SMTP) and SMS (GOV.UK Notify / NotifyNL) for messages to the claimant;
    # docs/messages.md. Defaults reach the local sink `make run` starts (plain SMTP).
    smtp_host: str = Field(default="127.0.0.1", min_length=1, description="SMTP relay host")
    smtp_port: int = Field(
        default=8025, ge=1, le=65535, description="SMTP port (587 for starttls, 465 for tls)"
    )
    smtp_security: SmtpSecurity = Field(
        default="none",
        description="none (a local sink only), starttls (upgrade, port 587) or tls (implicit "
        "TLS, port 465); with TLS the server certificate and host name are checked",
    )
    smtp_username: str | None = Field(
        default=None, max_length=200, description="SMTP AUTH user; unset: no login"
    )
    smtp_password: SecretStr | None = Field(
        default=None, description="SMTP AUTH password (from a Secret in production)"
    )
    smtp_timeout_s: float = Field(
        default=30, gt=0, le=300, description="Timeout of one SMTP connection step"
    )
    smtp_ca_file: str | None = Field(
        default=None, description="A private CA bundle (PEM) for the relay's certificate"
    )
    notify_api_key: SecretStr | None = Field(
        default=None,
        description="NotifyNL / GOV.UK Notify API key (`<name>-<service id>-<secret>`), from "
        "a Secret; needed when sms_provider=notify",
    )
    notify_base_url: str = Field(
        default="https://api.notifications.service.gov.uk",
        min_length=1,
        description="The Notify API; NotifyNL gives its own address",
    )
    notify_sms_template_id: str | None = Field(
        default=None,
        max_length=100,
        description="The id of the one generic Notify SMS template whose content is ((body))",
    )
    # Week-one KPIs and capacity planning
    kpi_metrics_cache_seconds: float = Field(
        default=300,
        ge=0,
        le=86400,
        description="The week-one KPI gauges on /metrics are recomputed at most this often "
        "(0: on every scrape)",
    )
    # Messages to the claimant (ADR 0028)
    messages_enabled: bool = Field(
        default=True, description="Plan messages from events (off: nothing is planned or sent)"
    )
    messages_manage_url: str = Field(
        default="https://www.uwv.nl/mijnuwv",
        max_length=300,
        description="Where a claimant reschedules or cancels the intake (shown in messages)",
    )
    messages_phone: str = Field(
        default="088 898 92 94",
        max_length=30,
        description="The phone number in messages when the office has none of its own",
    )
    messages_from_address: str | None = Field(
        default=None,
        max_length=300,
        description="From of every e-mail; unset: the office's own name and address",
    )
    messages_message_id_domain: str = Field(
        default="ww.uwv.nl",
        max_length=200,
        description="The domain part of the Message-ID of e-mails",
    )
    messages_batch_size: int = Field(
        default=100, ge=1, le=10_000, description="Messages one sender run attempts at most"
    )
    messages_max_attempts: int = Field(
        default=8, ge=1, le=50, description="Attempts of one message before it is given up"
    )
    messages_retry_base_s: float = Field(
        default=60,
        gt=0,
        le=86400,
        description="Wait after the first failed attempt; doubled after each further one",
    )
    messages_retry_max_wait_s: float = Field(
        default=6 * 3600, gt=0, le=7 * 86400, description="Longest wait between two attempts"
    )
    messages_lease_s: float = Field(
        default=300,
        gt=0,
        le=86400,
        description="An attempt in flight longer than this is presumed dead (its sender "
        "crashed) and settled by the next run",
    )
    messages_poll_interval_s: float = Field(
        default=2.0,
        gt=0,
        le=3600,
        description="How often the sender loop (embedded mode, `ww jobs messages --loop`) runs",
    )
    sms_provider: Literal["file", "notify", "none"] = Field(
        default="file",
        description="`notify`: NotifyNL / GOV.UK Notify (needs notify_api_key and "
        "notify_sms_template_id); `none`: no SMS notices; `file`: SMS land as files in the "
        "state directory (development only: production refuses it)",
    )
    reminder_poll_interval_s: float = Field(
        default=60,
        gt=0,
        le=86400,
        description="How often a running intake service emits the reminders that are due",
    )
    messages_send_in_process: bool = Field(
        default=True,
        description="A running intake service sends its messages itself (a thread); off when "
        "a separate `ww jobs messages --loop` process or a CronJob sends them",
    )
    messages_reminder_min_gap_hours: float = Field(
        default=24,
        ge=0,
        le=24 * 14,
        description="No reminder when the claimant was told this appointment's time less than "
        "this many hours before (an intake booked tomorrow gets its invitation, not also a "
        "reminder a minute later); 0: always remind",
    )
    reminders_in_process: bool = Field(
        default=True,
        description="A running intake service emits due reminders itself (a thread); off when "
        "the `ww jobs reminders` CronJob or `POST /v1/admin/reminders/run` does it",
    )

    def model_post_init(self, __context: Any) -> None:
        super().model_post_init(__context)
        if self.environment == "prod":
            if self.sms_provider == "file":
                raise ValueError("production requires sms_provider=notify or none, not file")
            if self.sms_provider == "notify" and (
                self.notify_api_key is None or not self.notify_sms_template_id
            ):
                raise ValueError(
                    "sms_provider=notify requires notify_api_key and notify_sms_template_id"
                )
