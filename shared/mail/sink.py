"""A real local SMTP server (aiosmtpd) that keeps what it receives as `.eml` files.

`make run` starts one so e-mail goes somewhere a developer can look (`ww mail list`),
and tests use it as the SMTP server the sender talks to. Each message is written
atomically (temporary file, then rename) as `<received>-<id>.eml` with its envelope in a
`.json` beside it, so another process reading the directory never sees half a message.

For tests it can misbehave on purpose: refuse recipients (550), fail the next messages
with a 4xx, be stopped and started again on the same port (a server that is down).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import json
import logging
import os
import re
import ssl
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

# The sink's directory inside a state directory (`ww mail list --state-dir`).
MAIL_DIR = "mail"

# aiosmtpd logs every SMTP command at INFO on "mail.log": in `make run` that buried the
# banner under a dozen lines per e-mail. Warnings and errors still show.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def mail_dir(state_dir: Path) -> Path:
    """Where the local sink of a state directory keeps its messages."""
    return state_dir / MAIL_DIR


@dataclass(frozen=True)
class ReceivedMail:
    """One message the sink accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str | None
    message_id: str | None
    path: Path
    received_at: dt.datetime
    # What the sink answered "queued as" (the sender's provider message id).
    queue_id: str | None = None

    def message(self) -> EmailMessage:
        """The message as received, parsed."""
        return cast(
            EmailMessage,
            email.message_from_bytes(self.path.read_bytes(), policy=email.policy.default),
        )


def _atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_messages(directory: Path) -> list[ReceivedMail]:
    """The messages in a sink's directory, oldest first (any process may call this)."""
    if not directory.is_dir():
        return []
    found = []
    for eml in sorted(directory.glob("*.eml")):
        meta_path = eml.with_suffix(".json")
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            continue  # written by something else; not ours
        found.append(
            ReceivedMail(
                mail_from=meta["mail_from"],
                rcpt_tos=tuple(meta["rcpt_tos"]),
                subject=meta.get("subject"),
                message_id=meta.get("message_id"),
                path=eml,
                received_at=dt.datetime.fromisoformat(meta["received_at"]),
                queue_id=meta.get("queue_id"),
            )
        )
    return found


@dataclass
class _Rules:
    refuse: list[tuple[re.Pattern[str], int]] = field(default_factory=list)
    fail_next: int = 0
    fail_code: int = 451
    lock: threading.Lock = field(default_factory=threading.Lock)


_TEXTS = {
    421: "4.3.2 Service not available, closing channel",
    450: "4.2.1 Mailbox busy, try again later",
    451: "4.3.0 Local error in processing, try again later",
    452: "4.3.1 Insufficient system storage",
    550: "5.1.1 Mailbox unavailable",
    551: "5.1.6 User not local",
    552: "5.3.4 Message too big",
    553: "5.1.3 Mailbox name not allowed",
    554: "5.6.0 Transaction failed",
}


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.sink._rules.lock:
            for pattern, code in self.sink._rules.refuse:
                if pattern.search(address):
                    # As Postfix answers: the address echoed back (the sender must
                    # not keep it in its delivery log).
                    text = _TEXTS.get(code, "Refused")
                    return f"{code} {text[:5]} <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        rules = self.sink._rules
        with rules.lock:
            if rules.fail_next > 0:
                rules.fail_next -= 1
                return f"{rules.fail_code} {_TEXTS.get(rules.fail_code, 'Try again later')}"
        return self.sink._store(envelope)


class _Controller(Controller):
    """Controller that can bind port 0 and learns the port the system chose."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            server = cast(asyncio.Server, self.server)
            self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailSink:
    """A local SMTP server storing every accepted message in `directory`.

    `port=0` picks a free port (read `port` after `start()`); a restart after `stop()`
    keeps it. `tls_context` offers STARTTLS with that server certificate,
    `implicit_tls` serves TLS from the first byte instead; `credentials` (user,
    password) requires AUTH (over TLS). `durable=False` skips the fsync of each file
    (benchmarks: the server, not the disk, is what they measure)."""

    def __init__(
        self,
        *,
        directory: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        require_starttls: bool = False,
        credentials: tuple[str, str] | None = None,
        hostname: str = "ww-mail-sink",
        durable: bool = True,
    ) -> None:
        self.directory = directory
        self.host, self.port = host, port
        self.tls_context, self.implicit_tls = tls_context, implicit_tls
        self.require_starttls = require_starttls
        self.credentials = credentials
        self.hostname = hostname
        self.durable = durable
        self._rules = _Rules()
        self._controller: _Controller | None = None
        directory.mkdir(parents=True, exist_ok=True)

    # -- running --------------------------------------------------------------------

    def start(self) -> MailSink:
        """Start serving (in a thread of this process); idempotent."""
        if self._controller is not None:
            return self
        kwargs: dict[str, Any] = {"server_hostname": self.hostname}
        if self.implicit_tls:
            kwargs["ssl_context"] = self.tls_context
        elif self.tls_context is not None:
            kwargs["tls_context"] = self.tls_context
            kwargs["require_starttls"] = self.require_starttls
        if self.credentials is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
        controller = _Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
        controller.start()
        self.port = controller.port
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop serving (connections are refused until `start()`); idempotent."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- misbehaving on purpose (tests) -----------------------------------------------

    def refuse_recipients(self, pattern: str, code: int = 550) -> None:
        """Answer RCPT TO for addresses matching `pattern` (a regex) with `code`."""
        with self._rules.lock:
            self._rules.refuse.append((re.compile(pattern, re.IGNORECASE), code))

    def fail_next(self, n: int, code: int = 451) -> None:
        """Answer the end of data of the next `n` messages with `code` (not stored)."""
        with self._rules.lock:
            self._rules.fail_next, self._rules.fail_code = n, code

    def reset_rules(self) -> None:
        """Behave normally again."""
        with self._rules.lock:
            self._rules.refuse.clear()
            self._rules.fail_next = 0

    # -- what arrived -----------------------------------------------------------------

    def messages(self) -> list[ReceivedMail]:
        """Every message accepted so far, oldest first."""
        return read_messages(self.directory)

    def clear(self) -> None:
        """Forget every stored message."""
        for path in [*self.directory.glob("*.eml"), *self.directory.glob("*.json")]:
            path.unlink(missing_ok=True)

    def _store(self, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content or b""
        raw = data if isinstance(data, bytes) else data.encode("utf-8")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        now = dt.datetime.now(dt.UTC)
        queue_id = uuid.uuid4().hex[:16].upper()
        stem = f"{now:%Y%m%dT%H%M%S%f}-{queue_id}"
        meta = {
            "mail_from": envelope.mail_from or "",
            "rcpt_tos": list(envelope.rcpt_tos),
            "subject": str(parsed["Subject"]) if parsed["Subject"] is not None else None,
            "message_id": str(parsed["Message-ID"]) if parsed["Message-ID"] else None,
            "received_at": now.isoformat(),
            "queue_id": queue_id,
        }
        # The envelope first: the .eml appearing is what makes the message visible.
        _atomic_write(
            self.directory / f"{stem}.json", json.dumps(meta).encode("utf-8"), durable=self.durable
        )
        _atomic_write(self.directory / f"{stem}.eml", raw, durable=self.durable)
        return f"250 2.0.0 Ok: queued as {queue_id}"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if self.credentials is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = self.credentials
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)
