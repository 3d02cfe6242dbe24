"""The messages' long-lived parts in a process: channels, the sender loop, the gauges."""

from __future__ import annotations

import threading
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from intake.appointments import reminders as appointments
from intake.messages.sending import Channels, send_due
from intake.messages.service import status_counts
from intake.settings import IntakeSettings
from shared.db.types import utcnow
from shared.delivery import SendOutcome
from shared.logging import get_logger
from shared.mail.smtp import SmtpSender, SmtpSettings
from shared.runtime import ServiceContainer
from shared.sms import SmsProvider
from shared.sms.notify import NotifySmsSender
from shared.sms.sink import FileSmsSink, sms_dir

log = get_logger(__name__)


def smtp_settings(settings: IntakeSettings) -> SmtpSettings:
    """The SMTP client's settings from the intake settings."""
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout_s=settings.smtp_timeout_s,
        ca_file=settings.smtp_ca_file,
    )


def sms_provider(settings: IntakeSettings) -> SmsProvider:
    """NotifyNL / GOV.UK Notify when configured, else SMS land as files (development)."""
    if settings.sms_provider == "notify":
        if settings.notify_api_key is None or not settings.notify_sms_template_id:
            raise ValueError("sms_provider=notify needs notify_api_key and notify_sms_template_id")
        return NotifySmsSender(
            api_key=settings.notify_api_key,
            base_url=settings.notify_base_url,
            template_id=settings.notify_sms_template_id,
        )
    if settings.sms_provider == "none":
        return _NoSms()
    return FileSmsSink(sms_dir(settings.state_dir))


class _NoSms:
    """sms_provider=none: nothing is planned on the SMS channel; a row from before the
    setting changed is suppressed, never sent."""

    def send(self, *, phone: str, body: str, reference: str, attempt: object = None) -> SendOutcome:
        return SendOutcome.suppressed("SMS notices are turned off (sms_provider=none)")


def letter_dir(settings: IntakeSettings) -> Path:
    """Where letters are spooled and print batches written."""
    return settings.state_dir / "letters"


def channels_of(container: ServiceContainer[IntakeSettings]) -> Channels:
    """The container's channels, built once."""
    found = container.state.get("message_channels")
    if isinstance(found, Channels):
        return found
    settings = container.settings
    channels = Channels(
        settings=settings,
        uows=container.uow,
        smtp=SmtpSender(smtp_settings(settings)),
        sms=sms_provider(settings),
        letter_dir=letter_dir(settings),
    )
    container.state["message_channels"] = channels
    return channels


def sender_loop(container: ServiceContainer[IntakeSettings], stop: threading.Event) -> None:
    """Send due messages every `messages_poll_interval_s` until `stop` (embedded mode and
    `ww jobs messages --loop`). A failing run is logged and the loop goes on."""
    settings = container.settings
    channels = channels_of(container)
    while not stop.is_set():
        try:
            run = send_due(container.uow, channels, registry=container.metrics.registry)
            if run.attempted:
                log.info(
                    "messages.sent",
                    attempted=run.attempted,
                    sent=run.sent,
                    retrying=run.retrying,
                    failed=run.failed,
                    bounced=run.bounced,
                    suppressed=run.suppressed,
                )
                # More may be due (a full batch): go again without waiting.
                if run.attempted >= settings.messages_batch_size:
                    continue
        except Exception as exc:  # the loop survives a database or SMTP outage
            log.warning("messages.run_failed", error=type(exc).__name__)
        stop.wait(settings.messages_poll_interval_s)


def sender_worker(container: ServiceContainer[IntakeSettings], stop: threading.Event) -> None:
    """The service's own sender thread, unless a separate process sends
    (`messages_send_in_process`)."""
    settings = container.settings
    if settings.messages_send_in_process:
        sender_loop(container, stop)


def reminder_loop(container: ServiceContainer[IntakeSettings], stop: threading.Event) -> None:
    """Emit the intake reminders that are due, every `reminder_poll_interval_s` (a running
    service does what the `ww jobs reminders` CronJob does; both are idempotent)."""
    settings = container.settings
    if not settings.reminders_in_process:
        return
    # A first run soon after start (the service may have been down at a due moment).
    wait = min(5.0, settings.reminder_poll_interval_s)
    while not stop.wait(wait):
        wait = settings.reminder_poll_interval_s
        try:
            with container.uow() as uow:
                appointments.emit_due_reminders(uow=uow, now=utcnow())
        except Exception as exc:
            log.warning("reminders.run_failed", error=type(exc).__name__)


def install_metrics(container: ServiceContainer[IntakeSettings]) -> None:
    """`ww_messages{channel,status}`: messages by channel and status, at scrape time (the
    attempt counters `ww_delivery_attempts` come from the delivery mechanism)."""

    class _Messages(Collector):
        def collect(self):  # type: ignore[no-untyped-def]
            family = GaugeMetricFamily(
                "ww_messages",
                "Messages to claimants by channel and status",
                labels=["channel", "status"],
            )
            try:
                with container.uow() as uow:
                    counts = status_counts(uow)
            except Exception:
                counts = {}
            for (channel, status), n in sorted(counts.items()):
                family.add_metric([channel, status], n)
            yield family

    container.metrics.registry.register(_Messages())
