"""Send an e-mail over SMTP (smtplib) as one attempt of a delivery.

The SMTP transaction is done step by step so the outcome of every reply is known and
so the hand-over moment is exact: `attempt.handing_over()` is committed after the
message content went out and **before** the end-of-data line (`.`). A server that never
got the end-of-data drops the transaction (RFC 5321 §4.1.1.4), so an attempt that dies
before it can be sent again without a duplicate; one that dies after it is settled as
`unconfirmed` by the dispatcher, never sent again by itself.

Classification (RFC 5321 §4.2.1): no connection, a timeout, a dropped connection or a
4xx reply is transient (`retry`); a 5xx reply to RCPT or to the message is permanent
(`bounced`); 250 after the message is `sent`. Addresses and bodies are never logged,
and addresses in a server's reply are blanked before the reply is kept as the error.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.generator import BytesGenerator
from email.message import EmailMessage
from io import BytesIO
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shared import faults
from shared.delivery import Attempt, SendOutcome
from shared.logging import get_logger
from shared.mail.compose import envelope_address

log = get_logger(__name__)

_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")
# Postfix and mailpit: "2.0.0 Ok: queued as 4Bx9"; Exim: "OK id=1tAbc-000Def-Gh".
_QUEUE_ID = re.compile(r"queued as ([A-Za-z0-9._-]+)|\bid=([A-Za-z0-9._-]+)", re.IGNORECASE)


# none: plain (a local sink only); starttls: upgrade on the submission port (587);
# tls: implicit TLS from the first byte (port 465).
SmtpSecurity = Literal["none", "starttls", "tls"]


class SmtpSettings(BaseModel):
    """Where and how to reach the SMTP server (the relay that delivers our e-mail)."""

    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8025, ge=1, le=65535)
    security: SmtpSecurity = "none"
    username: str | None = None
    password: SecretStr | None = None
    timeout_s: float = Field(30.0, gt=0)
    # Off only for a test server with a self-signed certificate: it disables the check
    # that the server is who it says it is.
    verify_tls: bool = True
    # A private CA bundle (PEM) instead of the system's trust store.
    ca_file: str | None = None
    # The name we greet with in EHLO (default: this machine's FQDN).
    local_hostname: str | None = None
    # The bounce address (MAIL FROM); default: the message's From address.
    envelope_from: str | None = None


class _Reply(Exception):
    """An SMTP reply that ends this transaction."""

    def __init__(self, step: str, code: int, text: bytes | str) -> None:
        self.step, self.code = step, code
        raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        self.text = _ADDRESS.sub("<address>", " ".join(raw.split()))[:300]
        super().__init__(f"{step}: {code} {self.text}")


class _Dropped(Exception):
    """The connection broke (or timed out) before the hand-over."""


def _flatten(msg: EmailMessage, *, utf8: bool) -> bytes:
    """The message as sent: CRLF line ends, Bcc removed (as `send_message` does)."""
    policy = email.policy.SMTPUTF8 if utf8 else email.policy.SMTP
    out = BytesIO()
    copy = msg
    if msg.get_all("Bcc") is not None:
        copy = email.message_from_bytes(msg.as_bytes(policy=policy), policy=policy)  # type: ignore[assignment]
        del copy["Bcc"]
    BytesGenerator(out, policy=policy).flatten(copy, linesep="\r\n")
    return out.getvalue()


def _recipients(msg: EmailMessage) -> list[str]:
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in (msg.get_all(name) or [])]
    return [addr for _, addr in email.utils.getaddresses(values) if addr]


def _outcome_of(reply: _Reply) -> SendOutcome:
    error = str(reply)
    if 400 <= reply.code < 500:
        return SendOutcome.retry(error, status_code=reply.code)
    if reply.code >= 500 and reply.step in ("rcpt", "data", "message"):
        return SendOutcome.bounced(error, status_code=reply.code)
    # 5xx to MAIL FROM (or to our EHLO/AUTH) says nothing about the claimant's address:
    # our side is misconfigured. Retried (and given up), so it is fixed, not bounced.
    return SendOutcome.retry(error, status_code=reply.code)


class SmtpSender:
    """Sends one message per call over SMTP, or many over one connection in `session()`.

    Not thread-safe: one sender per dispatcher loop."""

    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None):
        self.settings = settings
        self._ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None
        self._in_session = False

    def tls_context(self) -> ssl.SSLContext:
        """The client TLS context: the system's (or `ca_file`'s) trust, hostname checked."""
        if self._ssl_context is not None:
            return self._ssl_context
        ctx = ssl.create_default_context(cafile=self.settings.ca_file)
        if not self.settings.verify_tls:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def connect(self) -> smtplib.SMTP:
        """A greeted (and, per settings, TLS-protected and logged-in) connection."""
        s = self.settings
        conn: smtplib.SMTP
        if s.security == "tls":
            conn = smtplib.SMTP_SSL(
                s.host,
                s.port,
                local_hostname=s.local_hostname,
                timeout=s.timeout_s,
                context=self.tls_context(),
            )
        else:
            conn = smtplib.SMTP(
                s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout_s
            )
        try:
            # The end-of-data line goes out as its own small write after the content
            # (the hand-over sits between them): with Nagle's algorithm it would wait for
            # the server's delayed ACK, about 40 ms per message.
            if conn.sock is not None:
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.ehlo()
            if s.security == "starttls":
                # starttls() raises SMTPNotSupportedError when the server does not offer
                # it: we never fall back to sending in the clear.
                conn.starttls(context=self.tls_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password.get_secret_value() if s.password else "")
        except BaseException:
            _close(conn)
            raise
        return conn

    @contextmanager
    def session(self) -> Iterator[SmtpSender]:
        """Keep one connection for every `send` inside (a batch); closed at the end."""
        if self._in_session:
            yield self
            return
        self._in_session = True
        try:
            yield self
        finally:
            self._in_session = False
            if self._conn is not None:
                _quit(self._conn)
                self._conn = None

    def send(self, msg: EmailMessage, attempt: Attempt) -> SendOutcome:
        """Send `msg` as this attempt of its delivery; never raises for a delivery failure."""
        try:
            sender = self.settings.envelope_from or envelope_address(str(msg["From"]))
            recipients = _recipients(msg)
        except ValueError:
            return SendOutcome.bounced("the message has no valid sender or recipient")
        if not sender or not recipients:
            return SendOutcome.bounced("the message has no valid sender or recipient")
        # A connection kept from the previous message may have been closed by the
        # server meanwhile (idle timeout): then one fresh connection is tried.
        for fresh in (False, True) if self._conn is not None else (True,):
            try:
                if fresh or self._conn is None:
                    self._drop()
                    self._conn = self.connect()
            except smtplib.SMTPResponseException as exc:
                self._drop()
                return self._log(
                    attempt, _outcome_of(_Reply("connect", exc.smtp_code, exc.smtp_error))
                )
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                return self._log(attempt, SendOutcome.retry(f"connect: {type(exc).__name__}"))
            try:
                outcome = self._transaction(self._conn, sender, recipients, msg, attempt)
            except _Dropped as exc:
                self._drop()
                if not fresh:
                    continue
                return self._log(attempt, SendOutcome.retry(f"connection lost: {exc}"))
            finally:
                if not self._in_session:
                    self._drop(polite=True)
            return self._log(attempt, outcome)
        raise AssertionError("unreachable")  # pragma: no cover

    def _transaction(
        self,
        conn: smtplib.SMTP,
        sender: str,
        recipients: list[str],
        msg: EmailMessage,
        attempt: Attempt,
    ) -> SendOutcome:
        handed_over = False
        try:
            utf8 = any(not a.isascii() for a in [sender, *recipients])
            options: list[str] = []
            if utf8:
                if not conn.has_extn("smtputf8"):
                    return SendOutcome.bounced("the address needs SMTPUTF8; the server lacks it")
                options.append("SMTPUTF8")
            payload = _flatten(msg, utf8=utf8)
            if conn.has_extn("size"):
                options.append(f"SIZE={len(payload)}")
            code, text = conn.mail(sender, options)
            if code != 250:
                raise _Reply("mail", code, text)
            for rcpt in recipients:
                code, text = conn.rcpt(rcpt)
                if code not in (250, 251):
                    raise _Reply("rcpt", code, text)
            # DATA by hand (as smtplib.SMTP.data does it) to commit the hand-over
            # between the content and the end-of-data line.
            conn.putcmd("data")
            code, text = conn.getreply()
            if code != 354:
                raise _Reply("data", code, text)
            content = smtplib._quote_periods(payload)  # type: ignore[attr-defined]
            if not content.endswith(b"\r\n"):
                content += b"\r\n"
            conn.send(content)
            try:
                attempt.handing_over()
            except Exception as exc:
                # The hand-over could not be recorded: the end-of-data is never sent,
                # so the server drops the transaction and a later attempt is safe.
                self._drop()
                return SendOutcome.retry(f"could not record the hand-over: {type(exc).__name__}")
            handed_over = True
            conn.send(b".\r\n")
            faults.point("smtp.after_end_of_data")
            code, text = conn.getreply()
            if code != 250:
                raise _Reply("message", code, text)
        except _Reply as reply:
            if reply.code == 421:
                self._drop()  # the server is closing the connection
            else:
                _rset(conn)
            return _outcome_of(reply)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            if not handed_over:
                raise _Dropped(type(exc).__name__) from exc
            # The server may or may not have queued it. RFC 5321 §6.1 lets a client
            # retry (a possible duplicate); we never send twice (ADR 0028): the
            # delivery is unconfirmed and staff decide.
            self._drop()
            return SendOutcome.unconfirmed(
                f"connection lost after the end of data, outcome unknown: {type(exc).__name__}"
            )
        found = _QUEUE_ID.search(text.decode("utf-8", "replace"))
        queue_id = next((g for g in found.groups() if g), None) if found else None
        return SendOutcome.sent(queue_id or str(msg["Message-ID"]), status_code=code)

    def _drop(self, *, polite: bool = False) -> None:
        if self._conn is not None:
            (_quit if polite else _close)(self._conn)
            self._conn = None

    @staticmethod
    def _log(attempt: Attempt, outcome: SendOutcome) -> SendOutcome:
        # Never the address or the body: the delivery id and the reply code say enough.
        # A success is in the delivery log already; only failures are worth a log line.
        (log.debug if outcome.outcome == "sent" else log.info)(
            "smtp.attempt",
            delivery_id=str(attempt.row_id),
            attempt=attempt.number,
            outcome=outcome.outcome,
            status_code=outcome.status_code,
        )
        return outcome


def _rset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except (OSError, smtplib.SMTPException):
        _close(conn)


def _quit(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        _close(conn)


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except OSError:
        pass
