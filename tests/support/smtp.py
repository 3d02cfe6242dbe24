"""A real SMTP server for tests: the `smtp_server` fixture (a `MailSink` on a free port).

Registered in the root conftest through `pytest_plugins`, so unit, integration, e2e and
fault tests can all ask for it. Never a fixed port: two test runs (or workers) on one
machine each get their own server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.mail.sink import MailSink, ReceivedMail
from shared.mail.smtp import SmtpSettings


def smtp_settings(sink: MailSink, **overrides: object) -> SmtpSettings:
    """Client settings that reach `sink` (plain SMTP unless overridden)."""
    values: dict[str, object] = {"host": sink.host, "port": sink.port, "timeout_s": 10.0}
    values.update(overrides)
    return SmtpSettings.model_validate(values)


def wait_for_mail(sink: MailSink, count: int, *, timeout_s: float = 30.0) -> list[ReceivedMail]:
    """The sink's messages once there are at least `count` (fails after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = sink.messages()
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"{len(found)} of {count} e-mails after {timeout_s} s"
            return found
        time.sleep(0.05)


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[MailSink]:
    """A real SMTP server (aiosmtpd) on a free port, storing mail under the test's tmp dir."""
    sink = MailSink(directory=tmp_path / "smtp-sink").start()
    try:
        yield sink
    finally:
        sink.stop()
