"""Messages phase (issue 14): e-mails sent per second through the delivery mechanism, as a
ratio to a bare smtplib loop sending the same messages to the same kind of server in the
same run.

- **Setup** (untimed): a fresh intake database on PostgreSQL with N open claims that have
  an e-mail address (a quarter in English), each with a booked intake at one of ten
  offices with a roster coach. For every claim `intake.messages.planning.plan_messages`
  plans the invitation from an `intake.scheduled` trigger, as intake's consumer does:
  rendered subject, text and HTML bodies and the `.ics`, one pending `email` row each.
- **System**: `intake.messages.sending.send_due` with the service's channels
  (`channels_of(container)`: the intake settings point the `SmtpSender` at the sink), run
  again and again until a run attempts nothing. Per message: claim (commit `sending`),
  appointment check and bodies (two reads), compose, the SMTP transaction with the
  hand-over committed before the end-of-data line, record (commit `sent` + a delivery-log
  row).
- **Baseline**: the same N rows composed with `shared.mail.compose` (same content, so the
  same sizes) and flattened before the clock starts, then `smtplib.SMTP.sendmail` in a
  loop over one connection. Measured once before and once after the system side; the
  baseline figure is their mean.
- **Server**: `shared.mail.sink.MailSink(durable=False)` in its own process
  (`bench/mail_sink.py`), so its CPU is on the other core, not inside the GIL of the
  process measured. Both sides talk to the same server.
- **Checks**: every system message arrived exactly once (counted by Message-ID in the
  sink's directory), every row is `sent` after one attempt; the baseline's count too.
- **Cost breakdown**: commits, rollbacks (read-only units of work) and pool checkouts of
  the sender's engine per message (SQLAlchemy events; `pg_stat_database` is not used: an
  idle backend reports its counts up to seconds late), time inside the SMTP sender and
  inside the hand-over commit, and the compose cost per message measured apart.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import os
import random
import smtplib
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine, event, text

from bench.infra import BenchError, BenchRun, wait_for
from intake.messages import planning
from intake.messages.kinds import Channel, Kind
from intake.messages.runtime import channels_of
from intake.messages.sending import message_id_header, send_due
from shared.delivery import Attempt, SendOutcome
from shared.logging import configure_logging
from shared.mail.compose import compose
from shared.mail.sink import read_messages
from shared.mail.smtp import SmtpSender
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from tests.support.system import container as build_container

OFFICES = ("AMS", "HVS", "ALM", "ZAA", "HRN", "ALK", "HLM", "LDN", "DHG", "GDA")
BASELINE_DOMAIN = "baseline.bench"
COMPOSE_DOMAIN = "compose.bench"


@dataclass(frozen=True)
class MessagesConfig:
    """Sizes of the phase."""

    messages: int = 2000
    plan_batch: int = 100
    seed: int = 20240601


# Setup -------------------------------------------------------------------------------


def seed_claims(run: BenchRun, url: str, n: int, rng: random.Random) -> list[tuple[Any, Any]]:
    """N open claims with an e-mail address, each with a booked intake; returns
    (claim id, appointment id) pairs. Slots of one coach never overlap (the exclusion
    constraint): coach i % 10, the k-th of its intakes on day k // 7 at 09:00 + k % 7 h."""
    coaches = [(uuid.uuid4(), office) for office in OFFICES]
    start = dt.datetime.combine(
        dt.date.today() + dt.timedelta(days=3), dt.time(8, 0), tzinfo=dt.UTC
    )
    claims, slots, appointments, pairs = [], [], [], []
    for i in range(n):
        coach_id, office = coaches[i % len(coaches)]
        k = i // len(coaches)
        starts = start + dt.timedelta(days=k // 7, hours=k % 7)
        claim_id, slot_id, appointment_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        claims.append(
            {
                "id": claim_id,
                "given": rng.choice(("Fenna", "Daan", "Noor", "Sem", "Lotte", "Milan")),
                "family": rng.choice(("de Wit", "Jansen", "Bakker", "Visser", "Smit")),
                "email": f"claimant{i}@example.test",
                "lang": "en" if i % 4 == 0 else "nl",
                "office": office,
            }
        )
        slots.append({"id": slot_id, "coach": coach_id, "office": office, "starts": starts})
        appointments.append(
            {
                "id": appointment_id,
                "claim": claim_id,
                "slot": slot_id,
                "coach": coach_id,
                "office": office,
                "starts": starts,
                "deadline": starts.date(),
            }
        )
        pairs.append((claim_id, appointment_id))
    with run.engine(url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO roster_coaches (id, display_name, office_code, specialisms, "
                "contract_hours, holds_intakes, active, updated_at) "
                "VALUES (:id, :name, :office, '[]', 36, true, true, now())"
            ),
            [
                {"id": c, "name": f"Sanne{j} de Boer", "office": o}
                for j, (c, o) in enumerate(coaches)
            ],
        )
        conn.execute(
            text(
                "INSERT INTO slots (id, coach_id, office_code, starts_at, ends_at, state) "
                "VALUES (:id, :coach, :office, :starts, :starts + interval '45 minutes', "
                "'open')"
            ),
            slots,
        )
        conn.execute(
            text(
                "INSERT INTO claims (id, bsn_ciphertext, bsn_hash, status, given_name, "
                "family_name, date_of_birth, email, preferred_language, contact_preference, "
                "street, house_number, city, first_ww_day, postcode, office_code, channel, "
                "registered_by, registered_at, no_show_count) "
                "VALUES (:id, decode(md5(CAST(:id AS text)), 'hex'), "
                "encode(sha256(convert_to(CAST(:id AS text), 'UTF8')), 'hex'), 'open', "
                ":given, :family, date '1988-03-03', :email, :lang, 'email', 'Nieuwmarkt', "
                "'4', 'Amsterdam', current_date, '1011AB', :office, 'staff', 'bench', now(), 0)"
            ),
            claims,
        )
        conn.execute(
            text(
                "INSERT INTO appointments (id, claim_id, slot_id, coach_id, office_code, "
                "starts_at, ends_at, status, deadline, booked_at, summoned) "
                "VALUES (:id, :claim, :slot, :coach, :office, :starts, "
                ":starts + interval '45 minutes', 'booked', :deadline, now(), false)"
            ),
            appointments,
        )
    return pairs


def plan_invitations(
    container: ServiceContainer, pairs: list[tuple[Any, Any]], batch: int
) -> dict[str, Any]:
    """The invitation of every claim, planned as intake's consumer plans it."""
    settings = container.settings
    t = time.perf_counter()
    planned = 0
    for i in range(0, len(pairs), batch):
        with container.uow() as uow:
            now = dt.datetime.now(dt.UTC)
            for claim_id, appointment_id in pairs[i : i + batch]:
                made = planning.plan_messages(
                    uow,
                    planning.Trigger(
                        kind=Kind.INVITATION,
                        claim_id=claim_id,
                        event_id=uuid.uuid4(),
                        event_type="intake.scheduled",
                        occurred_at=now,
                        appointment_id=appointment_id,
                    ),
                    settings,  # type: ignore[arg-type]
                    now=now,
                )
                if [m.channel for m in made] != [Channel.EMAIL]:
                    raise BenchError(f"planning made {[m.channel for m in made]}, not one e-mail")
                planned += len(made)
            uow.commit()
    seconds = time.perf_counter() - t
    return {
        "messages": planned,
        "seconds": round(seconds, 2),
        "messages_per_s": round(planned / seconds, 1),
    }


def _rows(run: BenchRun, url: str) -> list[dict[str, Any]]:
    return [
        dict(r._mapping)
        for r in run.rows(
            url,
            "SELECT m.id, m.recipient, m.subject, m.body_text, m.body_html, m.ics, m.language, "
            "o.name AS office_name, o.email AS office_email FROM messages m "
            "JOIN office_contacts o ON o.code = m.office_code ORDER BY m.created_at, m.id",
        )
    ]


def composed(row: dict[str, Any], message_id: str) -> EmailMessage:
    """The message the e-mail channel composes for a row (same From, Reply-To, parts)."""
    return compose(
        sender=f'"{row["office_name"]}" <{row["office_email"]}>',
        reply_to=row["office_email"],
        to=row["recipient"],
        subject=row["subject"],
        text=row["body_text"],
        html=row["body_html"] or "",
        ics=row["ics"],
        message_id=message_id,
        language=row["language"],
    )


# Measuring -------------------------------------------------------------------------------


class _TimedAttempt:
    """The dispatcher's attempt with the hand-over commit timed."""

    def __init__(self, attempt: Attempt, clock: dict[str, float]) -> None:
        self._attempt, self._clock = attempt, clock
        self.row_id, self.number = attempt.row_id, attempt.number

    def handing_over(self) -> None:
        t = time.perf_counter()
        self._attempt.handing_over()
        self._clock["handing_over_s"] += time.perf_counter() - t


class TimedSmtpSender(SmtpSender):
    """The channel's SMTP sender with the time inside `send` (and the hand-over) summed."""

    def __init__(self, base: SmtpSender) -> None:
        super().__init__(base.settings)
        self.clock = {"send_s": 0.0, "handing_over_s": 0.0}

    def send(self, msg: EmailMessage, attempt: Attempt) -> SendOutcome:
        t = time.perf_counter()
        try:
            return super().send(msg, _TimedAttempt(attempt, self.clock))  # type: ignore[arg-type]
        finally:
            self.clock["send_s"] += time.perf_counter() - t


class EngineCounts:
    """Commits, rollbacks and pool checkouts of the system's engine (SQLAlchemy events)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.counts = Counter[str]()
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)
        event.listen(engine.pool, "checkout", self._checkout)

    def _commit(self, *_: Any) -> None:
        self.counts["commit"] += 1

    def _rollback(self, *_: Any) -> None:
        self.counts["rollback"] += 1

    def _checkout(self, *_: Any) -> None:
        self.counts["checkout"] += 1

    def close(self) -> None:
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)
        event.remove(self.engine.pool, "checkout", self._checkout)


def run_system(container: ServiceContainer, n: int) -> dict[str, Any]:
    """send_due until nothing is due; returns the rate and the cost breakdown."""
    channels = channels_of(container)
    timed = TimedSmtpSender(channels.smtp)
    channels.smtp = timed
    counted = EngineCounts(container.engine)
    runs, sent, attempted = 0, 0, 0
    t = time.perf_counter()
    while True:
        result = send_due(container.uow, channels)
        runs += 1
        attempted += result.attempted
        sent += result.sent
        if result.attempted == 0:
            break
    seconds = time.perf_counter() - t
    counted.close()
    per = max(sent, 1)
    return {
        "messages": n,
        "attempted": attempted,
        "sent": sent,
        "runs": runs,
        "batch_size": container.settings.messages_batch_size,  # type: ignore[attr-defined]
        "seconds": round(seconds, 3),
        "messages_per_s": round(sent / seconds, 1),
        "per_message_ms": round(seconds / max(sent, 1) * 1000, 3),
        # What the sender's engine did (SQLAlchemy events): a commit is a write
        # transaction, a rollback a read-only unit of work ending, a checkout one unit of
        # work (each with its pre-ping).
        "commits_per_message": round(counted.counts["commit"] / per, 2),
        "rollbacks_per_message": round(counted.counts["rollback"] / per, 2),
        "checkouts_per_message": round(counted.counts["checkout"] / per, 2),
        # Totals: each send_due run adds its own (settle in-doubt rows, pick the due ids).
        "engine_counts": dict(counted.counts),
        "smtp_send_ms": round(timed.clock["send_s"] / max(sent, 1) * 1000, 3),
        "handing_over_commit_ms": round(timed.clock["handing_over_s"] / max(sent, 1) * 1000, 3),
    }


def run_baseline(host: str, port: int, payloads: list[tuple[str, str, bytes]]) -> dict[str, Any]:
    """Bare smtplib: one connection, sendmail per message, nothing recorded."""
    t = time.perf_counter()
    with smtplib.SMTP(host, port) as conn:
        for sender, recipient, payload in payloads:
            conn.sendmail(sender, [recipient], payload)
    seconds = time.perf_counter() - t
    return {
        "messages": len(payloads),
        "seconds": round(seconds, 3),
        "messages_per_s": round(len(payloads) / seconds, 1),
        "per_message_ms": round(seconds / len(payloads) * 1000, 3),
    }


def run_composing_baseline(host: str, port: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Bare smtplib with the compose step inside the loop (what the e-mail channel does
    besides the database): compose, flatten, sendmail, over one connection."""
    t = time.perf_counter()
    with smtplib.SMTP(host, port) as conn:
        for r in rows:
            msg = composed(r, f"<{r['id']}@{COMPOSE_DOMAIN}>")
            conn.sendmail(
                str(r["office_email"]),
                [str(r["recipient"])],
                msg.as_bytes(policy=email.policy.SMTP),
            )
    seconds = time.perf_counter() - t
    return {
        "messages": len(rows),
        "seconds": round(seconds, 3),
        "messages_per_s": round(len(rows) / seconds, 1),
        "per_message_ms": round(seconds / len(rows) * 1000, 3),
    }


def start_sink(run: BenchRun) -> tuple[Any, Path, int]:
    """The MailSink in its own process; returns (proc, directory, port)."""
    directory = run.dir / "mail"
    port_file = run.dir / "mail-sink.port"
    proc = run.start_python(
        "mail-sink", "bench.mail_sink", [str(directory), str(port_file)], dict(os.environ)
    )
    port = wait_for(
        lambda: int(port_file.read_text()) if port_file.exists() else 0,
        timeout=30,
        what="the mail sink's port",
        procs=[proc],
    )
    return proc, directory, int(port)


def arrivals(directory: Path, domain: str) -> Counter[str]:
    """How often each Message-ID of `domain` arrived in the sink."""
    return Counter(
        m.message_id or ""
        for m in read_messages(directory)
        if (m.message_id or "").endswith(f"@{domain}>")
    )


def run_messages(run: BenchRun, cfg: MessagesConfig, _rng: random.Random) -> dict[str, Any]:
    """Seed, plan, then baseline / system / baseline against one sink process."""
    rng = random.Random(cfg.seed)
    url = run.database("intake", "msg")
    if not structlog.is_configured():
        # As a service configures it: debug lines (one per SMTP attempt) are not rendered
        # (unconfigured, structlog prints them all, inside the timed loop).
        configure_logging(level="WARNING")
    proc, directory, port = start_sink(run)
    container = build_container(
        "intake",
        database_url=url,
        transport="embedded",
        broker=EmbeddedBroker(),
        state_dir=run.state_dir / "messages",
        log_level="WARNING",
        smtp_host="127.0.0.1",
        smtp_port=port,
    )
    try:
        t = time.perf_counter()
        pairs = seed_claims(run, url, cfg.messages, rng)
        seed_s = time.perf_counter() - t
        plan = plan_invitations(container, pairs, cfg.plan_batch)
        run.execute(url, "VACUUM (ANALYZE) messages")
        rows = _rows(run, url)
        domain = container.settings.messages_message_id_domain  # type: ignore[attr-defined]
        # The baseline's messages: the same content, a Message-ID of its own domain (so
        # the sink's count tells the sides apart), flattened as smtplib would send them.
        t = time.perf_counter()
        messages = [composed(r, f"<{r['id']}@{BASELINE_DOMAIN}>") for r in rows]
        compose_s = time.perf_counter() - t
        t = time.perf_counter()
        payloads = [
            (str(r["office_email"]), str(r["recipient"]), m.as_bytes(policy=email.policy.SMTP))
            for r, m in zip(rows, messages, strict=True)
        ]
        flatten_s = time.perf_counter() - t
        sizes = [len(p) for _, _, p in payloads]

        baseline = [run_baseline("127.0.0.1", port, payloads)]
        system = run_system(container, len(rows))
        baseline.append(run_baseline("127.0.0.1", port, payloads))
        composing = run_composing_baseline("127.0.0.1", port, rows)
        if not proc.alive():
            raise BenchError(f"the mail sink died:\n{proc.text()[-2000:]}")

        expected = {message_id_header(r["id"], container.settings) for r in rows}  # type: ignore[arg-type]
        got = arrivals(directory, domain)
        base_got = arrivals(directory, BASELINE_DOMAIN)
        composing_got = arrivals(directory, COMPOSE_DOMAIN)
        statuses = dict(
            run.rows(url, "SELECT status || '/' || attempts, count(*) FROM messages GROUP BY 1")
        )
        log_rows = run.scalar(url, "SELECT count(*) FROM message_attempts")
        check = {
            "system_distinct_arrived": len(set(got) & expected),
            "system_arrivals": sum(got.values()),
            "system_duplicates": sum(c - 1 for c in got.values() if c > 1),
            "system_missing": len(expected - set(got)),
            "statuses": statuses,
            "delivery_log_rows": log_rows,
            "baseline_arrivals": sum(base_got.values()),
            "baseline_expected": len(payloads) * len(baseline),
            "composing_arrivals": sum(composing_got.values()),
        }
        check["exactly_once"] = check["system_distinct_arrived"] == len(expected) == check[
            "system_arrivals"
        ] and statuses == {"sent/1": len(rows)}
        base_rate = statistics.fmean(b["messages_per_s"] for b in baseline)
        out: dict[str, Any] = {
            "messages": len(rows),
            "server": "MailSink (aiosmtpd, durable=False) in its own process",
            "seed_s": round(seed_s, 2),
            "planning": plan,
            "size_bytes": {
                "mean": round(statistics.fmean(sizes)),
                "min": min(sizes),
                "max": max(sizes),
            },
            "compose_ms": round(compose_s / len(rows) * 1000, 3),
            "flatten_ms": round(flatten_s / len(rows) * 1000, 3),
            "system": system,
            "baseline": {
                "segments": baseline,
                "messages_per_s": round(base_rate, 1),
                "per_message_ms": round(1000 / base_rate, 3),
            },
            "ratio": round(system["messages_per_s"] / base_rate, 3),
            # A second reference: the same loop composing each message inside it, so
            # system / this is what the database steps (claim, checks, hand-over,
            # record) cost on top of building and sending the e-mail.
            "composing_baseline": composing,
            "ratio_to_composing": round(system["messages_per_s"] / composing["messages_per_s"], 3),
            "check": check,
        }
        if not check["exactly_once"]:
            out["error"] = f"not exactly once: {check}"
        return out
    finally:
        container.engine.dispose()
        run.stop(proc)


def summary(ms: dict[str, Any], add: Callable[..., None]) -> None:
    """The headline row of the messages phase."""
    add(
        f"Messages e-mailed via send_due ({ms['messages']:,}, vs bare smtplib loop)",
        "msg/s",
        ms["system"]["messages_per_s"],
        ms["baseline"]["messages_per_s"],
        ms["ratio"],
        "higher",
    )
    summary_composing(ms, add)


def summary_composing(ms: dict[str, Any], add: Callable[..., None]) -> None:
    """The second headline row: against the loop that composes inside it."""
    add(
        "Messages e-mailed via send_due (vs smtplib loop incl. compose)",
        "msg/s",
        ms["system"]["messages_per_s"],
        ms["composing_baseline"]["messages_per_s"],
        ms["ratio_to_composing"],
        "higher",
    )


def details(ms: dict[str, Any]) -> list[tuple[str, str]]:
    """Detail rows: the cost per message and the exactly-once check."""
    s, c = ms["system"], ms["check"]
    base = ms["baseline"]
    return [
        (
            "messages cost per message",
            f"system {s['per_message_ms']} ms (SMTP sender {s['smtp_send_ms']} ms incl. "
            f"hand-over commit {s['handing_over_commit_ms']} ms; compose ~{ms['compose_ms']} ms "
            f"+ flatten ~{ms['flatten_ms']} ms); baseline {base['per_message_ms']} ms "
            f"(segments {', '.join(str(b['messages_per_s']) for b in base['segments'])} msg/s); "
            f"{s['commits_per_message']} commits + {s['rollbacks_per_message']} rollbacks "
            f"(read-only units of work), {s['checkouts_per_message']} connection checkouts "
            f"per message; {s['runs']} send_due runs of <= "
            f"{s['batch_size']}; "
            f"mean size {ms['size_bytes']['mean']:,} B",
        ),
        (
            "messages exactly once",
            f"{'yes' if c['exactly_once'] else 'NO'}: {c['system_distinct_arrived']} of "
            f"{ms['messages']} arrived, {c['system_arrivals']} arrivals, "
            f"{c['system_duplicates']} duplicates, {c['system_missing']} missing; rows "
            f"{c['statuses']}, {c['delivery_log_rows']} log rows; baseline "
            f"{c['baseline_arrivals']}/{c['baseline_expected']}, composing baseline "
            f"{c['composing_arrivals']}/{ms['messages']}",
        ),
        (
            "messages setup",
            f"seeded in {ms['seed_s']}s; planned {ms['planning']['messages']} invitations "
            f"(plan_messages: render + .ics) at {ms['planning']['messages_per_s']}/s; "
            f"server: {ms['server']}",
        ),
    ]
