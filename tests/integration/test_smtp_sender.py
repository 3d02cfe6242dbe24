"""SmtpSender against a real SMTP server (MailSink, aiosmtpd) on a free port.

The first part uses an Attempt double (it records when the hand-over happened); the
second plugs the sender into the real dispatcher on PostgreSQL: a server that is down is
retried with backoff and the message delivered after it is back, and the hand-over is
committed in the database before the end-of-data line leaves.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pytest
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from intake.db import TABLES
from shared.db.uow import UnitOfWork
from shared.delivery import (
    Attempt,
    DeliveryAttemptMixin,
    DeliveryMixin,
    DeliveryStatus,
    RetryPolicy,
    SendOutcome,
    deliver_due,
)
from shared.mail.compose import HeaderInjectionError, compose
from shared.mail.sink import MailSink
from shared.mail.smtp import SmtpSender, SmtpSettings
from tests.support.pg import PgDatabases
from tests.support.smtp import smtp_settings, wait_for_mail
from tests.support.tls import Pki, make_pki

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//UWV WW//intake//NL\r\nMETHOD:PUBLISH\r\n"
    "BEGIN:VEVENT\r\nUID:intake-1@ww.example\r\nDTSTAMP:20261201T080000Z\r\n"
    "DTSTART:20261209T083000Z\r\nDTEND:20261209T091500Z\r\nSUMMARY:Intakegesprek WW\r\n"
    "LOCATION:Singel 540\\, 1017 AZ Amsterdam\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _message(to: str = "jan@example.nl", n: int = 1) -> EmailMessage:
    return compose(
        sender="UWV WW Amsterdam <ww-amsterdam@uwv.example>",
        reply_to="team-ams@uwv.example",
        to=to,
        subject=f"Uitnodiging voor uw intakegesprek ({n})",
        # A line starting with a dot: it must arrive as it was (dot-stuffing).
        text="Beste Jan,\n\n.Kom op tijd.\n",
        html="<p>Beste Jan,</p>",
        ics=ICS,
        message_id=f"<msg-{n}-{uuid.uuid4().hex[:6]}@ww.example>",
        language="nl",
    )


class FakeAttempt:
    """An Attempt double: records the hand-over (and runs a check at that moment)."""

    def __init__(
        self, events: list[Any] | None = None, check: Callable[[], None] | None = None
    ) -> None:
        self.row_id, self.number = uuid.uuid4(), 1
        self.handed_over = False
        self.events = events if events is not None else []
        self.check = check

    def handing_over(self) -> None:
        if self.check is not None:
            self.check()
        self.events.append("handing_over")
        self.handed_over = True


def _send(sender: SmtpSender, msg: EmailMessage, attempt: FakeAttempt | None = None) -> SendOutcome:
    return sender.send(msg, attempt or FakeAttempt())  # type: ignore[arg-type]


# -- outcomes ---------------------------------------------------------------------------


def test_a_message_is_sent_with_the_servers_queue_id_and_its_ics_parses(
    smtp_server: MailSink,
) -> None:
    msg = _message()
    outcome = _send(SmtpSender(smtp_settings(smtp_server)), msg)
    assert outcome.outcome == "sent"
    assert outcome.status_code == 250
    (got,) = smtp_server.messages()
    assert outcome.provider_message_id == got.queue_id
    assert got.mail_from == "ww-amsterdam@uwv.example"
    assert got.rcpt_tos == ("jan@example.nl",)
    assert got.message_id == msg["Message-ID"]
    received = got.message()
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    assert ".Kom op tijd." in body.get_content()
    (attachment,) = list(received.iter_attachments())
    assert attachment.get_filename() == "uitnodiging.ics"
    cal = icalendar.Calendar.from_ical(attachment.get_content())
    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart") == dt.datetime(2026, 12, 9, 8, 30, tzinfo=dt.UTC)
    assert "Singel 540" in str(event["location"])


def test_without_a_queue_id_in_the_reply_the_message_id_is_the_provider_id(
    smtp_server: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smtp_server, "_store", lambda envelope: "250 OK")
    msg = _message()
    outcome = _send(SmtpSender(smtp_settings(smtp_server)), msg)
    assert outcome.outcome == "sent"
    assert outcome.provider_message_id == msg["Message-ID"]


def test_a_4xx_at_the_end_of_data_is_retried_and_nothing_is_stored(
    smtp_server: MailSink,
) -> None:
    smtp_server.fail_next(1, code=451)
    sender = SmtpSender(smtp_settings(smtp_server))
    attempt = FakeAttempt()
    outcome = _send(sender, _message(), attempt)
    assert (outcome.outcome, outcome.status_code) == ("retry", 451)
    assert attempt.handed_over  # it got as far as the end of data
    assert smtp_server.messages() == []
    assert _send(sender, _message()).outcome == "sent"  # the next try goes through


def test_a_4xx_to_rcpt_is_retried_before_any_hand_over(smtp_server: MailSink) -> None:
    smtp_server.refuse_recipients(r"^jan@", code=450)
    attempt = FakeAttempt()
    outcome = _send(SmtpSender(smtp_settings(smtp_server)), _message(), attempt)
    assert (outcome.outcome, outcome.status_code) == ("retry", 450)
    assert not attempt.handed_over


@pytest.mark.parametrize("code", [550, 553])
def test_a_5xx_to_rcpt_bounces_and_the_address_is_not_kept(
    smtp_server: MailSink, code: int
) -> None:
    smtp_server.refuse_recipients(r"^nobody@", code=code)
    attempt = FakeAttempt()
    outcome = _send(SmtpSender(smtp_settings(smtp_server)), _message("nobody@example.nl"), attempt)
    assert (outcome.outcome, outcome.status_code) == ("bounced", code)
    assert not attempt.handed_over
    assert outcome.error is not None
    assert "nobody" not in outcome.error
    assert "<address>" in outcome.error
    assert smtp_server.messages() == []


def test_a_5xx_at_the_end_of_data_bounces(smtp_server: MailSink) -> None:
    smtp_server.fail_next(1, code=554)
    outcome = _send(SmtpSender(smtp_settings(smtp_server)), _message())
    assert (outcome.outcome, outcome.status_code) == ("bounced", 554)


def test_a_server_that_is_down_is_retried(smtp_server: MailSink) -> None:
    smtp_server.stop()
    outcome = _send(SmtpSender(smtp_settings(smtp_server)), _message())
    assert outcome.outcome == "retry"
    assert outcome.error == "connect: ConnectionRefusedError"


def test_a_server_that_never_answers_is_retried_after_the_timeout() -> None:
    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=port, timeout_s=0.5))
        started = time.monotonic()
        outcome = _send(sender, _message())
    assert outcome.outcome == "retry"
    assert time.monotonic() - started < 5


def test_a_header_injection_is_refused_before_anything_is_sent(smtp_server: MailSink) -> None:
    with pytest.raises(HeaderInjectionError):
        _message(to="jan@example.nl\r\nBcc: everyone@example.org")
    with pytest.raises(HeaderInjectionError):
        compose(
            sender="ww@uwv.example",
            reply_to=None,
            to="jan@example.nl",
            subject="Uitnodiging\nBcc: everyone@example.org",
            text="x",
            html="x",
            ics=None,
            message_id="<m@ww.example>",
            language="nl",
        )
    assert smtp_server.messages() == []


# -- the hand-over ----------------------------------------------------------------------


def test_the_hand_over_comes_after_the_content_and_before_the_end_of_data(
    smtp_server: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[Any] = []
    real_send = smtplib.SMTP.send

    def spy(self: smtplib.SMTP, s: bytes | str) -> None:
        events.append(s if isinstance(s, bytes) else s.encode())
        real_send(self, s)

    monkeypatch.setattr(smtplib.SMTP, "send", spy)

    def nothing_arrived_yet() -> None:
        time.sleep(0.2)  # give a server that already had the end of data time to store
        assert smtp_server.messages() == []

    attempt = FakeAttempt(events, check=nothing_arrived_yet)
    assert _send(SmtpSender(smtp_settings(smtp_server)), _message(), attempt).outcome == "sent"
    i = events.index("handing_over")
    assert b"Subject: Uitnodiging" in events[i - 1]  # the whole content went before it
    assert not events[i - 1].endswith(b"\r\n.\r\n")
    assert events[i + 1] == b".\r\n"  # and the end-of-data line right after it
    assert len(smtp_server.messages()) == 1


def test_when_the_hand_over_cannot_be_recorded_the_end_of_data_is_never_sent(
    smtp_server: MailSink,
) -> None:
    def database_gone() -> None:
        raise ConnectionError("the database is unreachable")

    sender = SmtpSender(smtp_settings(smtp_server))
    outcome = _send(sender, _message(), FakeAttempt(check=database_gone))
    assert outcome.outcome == "retry"
    assert outcome.error == "could not record the hand-over: ConnectionError"
    time.sleep(0.3)
    assert smtp_server.messages() == []  # the server dropped the unfinished transaction
    assert _send(sender, _message()).outcome == "sent"


# -- one connection per batch -----------------------------------------------------------


def test_a_session_sends_many_messages_over_one_connection(
    smtp_server: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = SmtpSender(smtp_settings(smtp_server))
    connects: list[smtplib.SMTP] = []

    def counting_connect() -> smtplib.SMTP:
        connects.append(real_connect())
        return connects[-1]

    real_connect = sender.connect
    monkeypatch.setattr(sender, "connect", counting_connect)
    smtp_server.refuse_recipients(r"^nobody@")
    with sender.session():
        outcomes = [_send(sender, _message(n=n)) for n in range(3)]
        outcomes.append(_send(sender, _message("nobody@example.nl")))  # RSET, carry on
        outcomes.append(_send(sender, _message(n=4)))
    assert [o.outcome for o in outcomes] == ["sent", "sent", "sent", "bounced", "sent"]
    assert len(connects) == 1
    assert len(smtp_server.messages()) == 4


def test_a_session_whose_connection_broke_reconnects_once(
    smtp_server: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = SmtpSender(smtp_settings(smtp_server))
    connects: list[smtplib.SMTP] = []

    def counting_connect() -> smtplib.SMTP:
        connects.append(real_connect())
        return connects[-1]

    real_connect = sender.connect
    monkeypatch.setattr(sender, "connect", counting_connect)
    with sender.session():
        assert _send(sender, _message(n=1)).outcome == "sent"
        smtp_server.stop()  # the server closes every connection ...
        smtp_server.start()  # ... and is back on the same port
        assert _send(sender, _message(n=2)).outcome == "sent"
    assert len(connects) == 2
    assert len(smtp_server.messages()) == 2


def test_the_end_of_data_is_not_held_back_by_nagle(smtp_server: MailSink) -> None:
    # The `.` line is a small write after the content; without TCP_NODELAY it waits for
    # the server's delayed ACK (about 40 ms a message: a fifth of the bare throughput).
    sender = SmtpSender(smtp_settings(smtp_server))
    with sender.session():
        assert _send(sender, _message()).outcome == "sent"
        conn = sender._conn
        assert conn is not None
        assert conn.sock is not None
        assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_an_address_with_non_ascii_characters_goes_by_smtputf8(smtp_server: MailSink) -> None:
    outcome = _send(SmtpSender(smtp_settings(smtp_server)), _message("zoë@example.nl"))
    assert outcome.outcome == "sent"
    (got,) = smtp_server.messages()
    assert got.rcpt_tos == ("zoë@example.nl",)


# -- TLS and AUTH -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("smtp-pki"))


@pytest.fixture
def tls_sink(tmp_path: Path, pki: Pki) -> Iterator[MailSink]:
    """A sink that requires STARTTLS, with a certificate from the test CA."""
    ctx = pki.server_context("localhost", ips=("127.0.0.1",))
    sink = MailSink(
        directory=tmp_path / "tls-sink",
        tls_context=ctx,
        require_starttls=True,
        credentials=("ww-intake", "s3cret"),
    ).start()
    yield sink
    sink.stop()


def test_starttls_with_a_checked_certificate_and_login(tls_sink: MailSink, pki: Pki) -> None:
    settings = smtp_settings(
        tls_sink,
        security="starttls",
        ca_file=str(pki.ca_file),
        username="ww-intake",
        password="s3cret",
    )
    assert _send(SmtpSender(settings), _message()).outcome == "sent"
    assert len(tls_sink.messages()) == 1


def test_an_untrusted_certificate_is_not_accepted(tls_sink: MailSink) -> None:
    # The system trust store does not know the test CA: no mail over that connection.
    settings = smtp_settings(tls_sink, security="starttls", username="ww-intake", password="s3cret")
    outcome = _send(SmtpSender(settings), _message())
    assert outcome.outcome == "retry"
    assert outcome.error == "connect: SSLCertVerificationError"
    assert tls_sink.messages() == []


def test_a_wrong_password_is_retried_not_bounced(tls_sink: MailSink, pki: Pki) -> None:
    settings = smtp_settings(
        tls_sink, security="starttls", ca_file=str(pki.ca_file), username="ww-intake", password="x"
    )
    outcome = _send(SmtpSender(settings), _message())
    assert (outcome.outcome, outcome.status_code) == ("retry", 535)


def test_plain_smtp_to_a_server_requiring_starttls_is_refused_and_not_a_bounce(
    tls_sink: MailSink,
) -> None:
    outcome = _send(SmtpSender(smtp_settings(tls_sink)), _message())
    assert outcome.outcome == "retry"
    assert outcome.status_code == 530
    assert tls_sink.messages() == []


def test_implicit_tls(tmp_path: Path, pki: Pki) -> None:
    ctx = pki.server_context("localhost", ips=("127.0.0.1",))
    with MailSink(directory=tmp_path / "smtps", tls_context=ctx, implicit_tls=True) as sink:
        settings = smtp_settings(sink, security="tls", ca_file=str(pki.ca_file))
        assert _send(SmtpSender(settings), _message()).outcome == "sent"
        assert len(sink.messages()) == 1


# -- through the dispatcher on PostgreSQL -----------------------------------------------


class _Base(DeclarativeBase):
    pass


class MailDelivery(DeliveryMixin, _Base):
    """A test-only delivery table (the intake messages table is the lead's)."""

    __tablename__ = "test_mail_deliveries"

    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))


class MailAttempt(DeliveryAttemptMixin, _Base):
    __tablename__ = "test_mail_attempts"


@pytest.fixture
def uows(pg: PgDatabases) -> Iterator[Callable[[], UnitOfWork]]:
    # A fresh migrated intake database plus the two test tables above: this exercises
    # the delivery mechanism's real SQL (row locks, commits) on PostgreSQL.
    engine = create_engine(pg.create("intake"))
    _Base.metadata.create_all(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    yield lambda: UnitOfWork(factory, tables=TABLES, topic="test.intake")
    engine.dispose()


T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
POLICY = RetryPolicy(max_attempts=3, base=dt.timedelta(seconds=30))


def _queue(uows: Callable[[], UnitOfWork], to: str = "jan@example.nl") -> uuid.UUID:
    row_id = uuid.uuid4()
    with uows() as uow:
        uow.session.add(
            MailDelivery(
                id=row_id,
                dedupe_key=f"test:{row_id}",
                channel="email",
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=T0,
                created_at=T0,
                to_address=to,
                subject="Uitnodiging",
            )
        )
        uow.commit()
    return row_id


def _email_sender(smtp: SmtpSender) -> Callable[[Any, Attempt], SendOutcome]:
    def send(row: MailDelivery, attempt: Attempt) -> SendOutcome:
        msg = compose(
            sender="UWV WW <ww@uwv.example>",
            reply_to=None,
            to=row.to_address,
            subject=row.subject,
            text="Beste Jan,",
            html="<p>Beste Jan,</p>",
            ics=ICS,
            message_id=f"<{row.id}@ww.example>",
            language="nl",
        )
        return smtp.send(msg, attempt)

    return send


def _row(uows: Callable[[], UnitOfWork], row_id: uuid.UUID) -> MailDelivery:
    with uows() as uow:
        return uow.session.get_one(MailDelivery, row_id)


def _log(uows: Callable[[], UnitOfWork], row_id: uuid.UUID) -> list[str]:
    with uows() as uow:
        rows = uow.session.scalars(
            select(MailAttempt)
            .where(MailAttempt.delivery_id == row_id)
            .order_by(MailAttempt.attempt)
        )
        return [r.outcome for r in rows]


@pytest.mark.integration
def test_server_down_is_retried_with_backoff_and_delivered_once_it_is_back(
    uows: Callable[[], UnitOfWork], smtp_server: MailSink
) -> None:
    row_id = _queue(uows)
    senders = {"email": _email_sender(SmtpSender(smtp_settings(smtp_server)))}

    def run(at: dt.datetime) -> Any:
        return deliver_due(
            uows, MailDelivery, MailAttempt, senders, kind="message", policy=POLICY, now=at
        )

    smtp_server.stop()
    assert run(T0).retrying == 1
    row = _row(uows, row_id)
    assert row.status == DeliveryStatus.PENDING
    assert row.next_attempt_at == T0 + dt.timedelta(seconds=30)
    smtp_server.start()
    assert run(T0 + dt.timedelta(seconds=10)).attempted == 0  # the backoff is kept
    assert run(T0 + dt.timedelta(seconds=31)).sent == 1
    row = _row(uows, row_id)
    assert row.status == DeliveryStatus.SENT
    (got,) = wait_for_mail(smtp_server, 1)
    assert row.provider_message_id == got.queue_id
    assert _log(uows, row_id) == ["retry", "sent"]
    assert run(T0 + dt.timedelta(hours=1)).attempted == 0  # never sent again
    assert len(smtp_server.messages()) == 1


@pytest.mark.integration
def test_the_hand_over_is_committed_before_the_end_of_data_leaves(
    uows: Callable[[], UnitOfWork], smtp_server: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    row_id = _queue(uows)
    seen: list[tuple[str, int]] = []
    real_send = smtplib.SMTP.send

    def spy(self: smtplib.SMTP, s: bytes | str) -> None:
        if s == b".\r\n":
            # Read by another connection: only what was committed is visible.
            seen.append((_row(uows, row_id).status, len(smtp_server.messages())))
        real_send(self, s)

    monkeypatch.setattr(smtplib.SMTP, "send", spy)
    senders = {"email": _email_sender(SmtpSender(smtp_settings(smtp_server)))}
    run = deliver_due(uows, MailDelivery, MailAttempt, senders, kind="message", now=T0)
    assert run.sent == 1
    assert seen == [(DeliveryStatus.HANDED_OVER, 0)]


@pytest.mark.integration
def test_a_bounce_ends_the_delivery_and_runs_the_final_hook_once(
    uows: Callable[[], UnitOfWork], smtp_server: MailSink
) -> None:
    smtp_server.refuse_recipients(r"^gone@", code=550)
    row_id = _queue(uows, to="gone@example.nl")
    finals: list[str] = []
    senders = {"email": _email_sender(SmtpSender(smtp_settings(smtp_server)))}
    for minutes in (0, 10, 60):
        deliver_due(
            uows,
            MailDelivery,
            MailAttempt,
            senders,
            kind="message",
            now=T0 + dt.timedelta(minutes=minutes),
            on_final=lambda uow, row: finals.append(row.status),
        )
    row = _row(uows, row_id)
    assert (row.status, row.last_status_code, row.attempts) == (DeliveryStatus.BOUNCED, 550, 1)
    assert finals == [DeliveryStatus.BOUNCED]  # e.g. the owner queues a letter instead
    assert "gone@" not in (row.last_error or "")


@pytest.mark.integration
def test_a_server_failing_every_time_gives_up(
    uows: Callable[[], UnitOfWork], smtp_server: MailSink
) -> None:
    smtp_server.fail_next(100, code=451)
    row_id = _queue(uows)
    sender = SmtpSender(smtp_settings(smtp_server))
    at = T0
    with sender.session():  # a batch: one connection across the runs
        for _ in range(POLICY.max_attempts):
            deliver_due(
                uows,
                MailDelivery,
                MailAttempt,
                {"email": _email_sender(sender)},
                kind="message",
                policy=POLICY,
                now=at,
            )
            at += dt.timedelta(hours=1)
    row = _row(uows, row_id)
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, POLICY.max_attempts)
    assert _log(uows, row_id) == ["retry", "retry", "failed"]
    assert smtp_server.messages() == []


def test_the_sink_serves_connections_from_several_threads(smtp_server: MailSink) -> None:
    def one(n: int) -> None:
        assert _send(SmtpSender(smtp_settings(smtp_server)), _message(n=n)).outcome == "sent"

    threads = [threading.Thread(target=one, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(smtp_server.messages()) == 5


class _DropAfterEndOfData:
    """A TCP proxy in front of the real sink that forwards everything, but closes both
    connections as soon as the client's end-of-data line has gone through, before the
    server's reply can come back: a network failure at the worst moment."""

    def __init__(self, target: MailSink) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        client, _ = self.listener.accept()
        server = socket.create_connection((self.target.host, self.target.port))
        in_data = threading.Event()
        done = threading.Event()

        def server_to_client() -> None:
            while not done.is_set():
                try:
                    chunk = server.recv(65536)
                except OSError:
                    return
                if not chunk or done.is_set():
                    return
                if chunk.startswith(b"354"):
                    in_data.set()
                client.sendall(chunk)

        threading.Thread(target=server_to_client, daemon=True).start()
        seen = b""
        while True:
            chunk = client.recv(65536)
            if not chunk:
                break
            seen = (seen + chunk)[-5:]
            if in_data.is_set() and seen.endswith(b"\r\n.\r\n"):
                done.set()  # before forwarding: no reply may slip through
                server.sendall(chunk)
                client.close()
                time.sleep(0.5)  # the server stores the message; its reply goes nowhere
                server.close()
                break
            server.sendall(chunk)
        self.listener.close()


def test_a_reply_lost_after_the_end_of_data_is_unconfirmed_never_retried(
    smtp_server: MailSink,
) -> None:
    proxy = _DropAfterEndOfData(smtp_server)
    sender = SmtpSender(SmtpSettings(host="127.0.0.1", port=proxy.port, timeout_s=5))
    attempt = FakeAttempt()
    outcome = _send(sender, _message(), attempt)
    assert outcome.outcome == "unconfirmed", outcome
    assert attempt.handed_over
    # The server did get it: a retry would have been a second copy.
    assert len(wait_for_mail(smtp_server, 1)) == 1
