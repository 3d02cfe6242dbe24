"""Acceptance (issue 14) over real Kafka + PostgreSQL with a real SMTP server in the test:
register -> exactly one invitation e-mail with a valid .ics and the office address;
reschedule -> one rescheduled e-mail; the reminder job -> one reminder; and a sender killed
with SIGKILL mid-batch (before a message reached the server, and after its end of data)
and restarted still delivers each message exactly once (ADR 0028)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import httpx
import icalendar
from sqlalchemy import create_engine, text

from intake.calendar.rules import WorkingDays
from shared.clock import local_today
from shared.mail.sink import MailSink
from shared.testdata import synthetic_bsn
from tests.support.distributed import distributed_system
from tests.support.intake import add_roster_coach
from tests.support.pg import PgDatabases
from tests.support.system import service_env, wait_until
from tests.support.tokens import Tokens

D1 = WorkingDays().add_working_days(local_today(), 1)


def _intake_env(sink: MailSink, **extra: str) -> dict[str, dict[str, str]]:
    return {
        "intake": {
            "INTAKE_SMTP_HOST": sink.host,
            "INTAKE_SMTP_PORT": str(sink.port),
            "INTAKE_MESSAGES_POLL_INTERVAL_S": "0.3",
            "INTAKE_MESSAGES_REMINDER_MIN_GAP_HOURS": "0",
            # The reminder job runs when the test says (the scheduler's admin call).
            "INTAKE_REMINDERS_IN_PROCESS": "false",
            **extra,
        }
    }


def _agenda(
    http: httpx.Client, intake: str, lead: dict[str, str], coach_id: str, end: str = "12:00"
) -> None:
    agenda = {
        "blocks": [
            {
                "weekday": D1.weekday(),
                "start_time": "09:00",
                "end_time": end,
                "office_code": "AMS",
            }
        ]
    }
    r = http.put(f"{intake}/v1/coaches/{coach_id}/agenda", json=agenda, headers=lead)
    assert r.status_code == 200, r.text


def _claim(rng: random.Random, email: str) -> dict[str, Any]:
    return {
        "bsn": synthetic_bsn(rng),
        "given_name": "Roos",
        "family_name": "Bakker",
        "date_of_birth": "1984-04-04",
        "first_ww_day": local_today().isoformat(),
        "postcode": "1011 AB",
        "email": email,
        "sms_notifications": False,
    }


def test_invitation_reschedule_and_reminder_each_arrive_once(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, smtp_server: MailSink
) -> None:
    with distributed_system(
        pg,
        kafka_bootstrap,
        topic_prefix,
        tmp_path,
        services=("intake",),
        extra_env=_intake_env(smtp_server),
    ) as system:
        intake = system.urls["intake"]
        coach_id = str(add_roster_coach(create_engine(system.db["intake"]), name="Joost Vermeer"))
        admin = Tokens.header(system.tokens.user("admin", sub="admin-e2e"))
        lead = Tokens.header(system.tokens.user("team_lead", sub="lead-e2e", office="AMS"))
        claimant = Tokens.header(system.tokens.user("claimant", sub="claimant-e2e-roos"))
        with httpx.Client(timeout=30) as http:
            _agenda(http, intake, lead, coach_id)
            body = _claim(random.Random(1414), "roos@example.org")
            r = http.post(
                f"{intake}/v1/claims",
                json=body,
                headers=system.tokens.signed_in(claimant, body["bsn"]),
            )
            assert r.status_code == 201, r.text
            claim_id = r.json()["id"]

            # The invitation: intake.scheduled over Kafka -> planned -> sent over SMTP.
            wait_until(lambda: len(smtp_server.messages()) >= 1, timeout=60, message="invitation")
            (invitation,) = smtp_server.messages()
            (appointment,) = http.get(
                f"{intake}/v1/claims/{claim_id}/appointments", headers=admin
            ).json()
            msg = invitation.message()
            (ics,) = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
            cal = icalendar.Calendar.from_ical(ics.get_content())
            (event,) = list(cal.walk("VEVENT"))
            assert event["DTSTART"].dt == dt.datetime.fromisoformat(appointment["starts_at"])
            office = http.get(f"{intake}/v1/offices/AMS/contact", headers=admin).json()
            plain = msg.get_body(preferencelist=("plain",))
            assert plain is not None
            text_body = str(plain.get_content())
            assert f"{office['street']} {office['house_number']}" in text_body
            assert office["postcode"] in text_body
            assert "Joost" in text_body

            # Reschedule: one rescheduled e-mail.
            alts = http.get(
                f"{intake}/v1/appointments/{appointment['id']}/alternatives", headers=claimant
            ).json()["items"]
            r = http.post(
                f"{intake}/v1/appointments/{appointment['id']}/reschedule",
                json={"slot_id": alts[0]["slot_id"]},
                headers=claimant,
            )
            assert r.status_code == 200, r.text
            wait_until(lambda: len(smtp_server.messages()) >= 2, timeout=60, message="rescheduled")

            # The reminder job (the intake is within 2 working days: due now), run twice.
            r = http.post(f"{intake}/v1/admin/reminders/run", headers=admin)
            assert r.status_code == 200, r.text
            assert r.json()["emitted"] == 1
            r = http.post(f"{intake}/v1/admin/reminders/run", headers=admin)
            assert r.json()["emitted"] == 0
            wait_until(lambda: len(smtp_server.messages()) >= 3, timeout=60, message="reminder")

            def settled() -> bool:
                items = http.get(f"{intake}/v1/claims/{claim_id}/messages", headers=admin).json()
                return all(m["status"] == "sent" for m in items["items"])

            wait_until(settled, timeout=30, message="every message sent")
            items = http.get(f"{intake}/v1/claims/{claim_id}/messages", headers=admin).json()
            assert sorted(m["kind"] for m in items["items"]) == [
                "invitation",
                "reminder",
                "rescheduled",
            ]
        mails = smtp_server.messages()
        assert len(mails) == 3
        assert len({m.message_id for m in mails}) == 3
        assert all(m.rcpt_tos == ("roos@example.org",) for m in mails)


def test_a_sender_killed_mid_batch_sends_each_message_exactly_once(
    pg: PgDatabases, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, smtp_server: MailSink
) -> None:
    n = 6
    with distributed_system(
        pg,
        kafka_bootstrap,
        topic_prefix,
        tmp_path,
        services=("intake",),
        # A separate sender process is killed here, not the service.
        extra_env=_intake_env(smtp_server, INTAKE_MESSAGES_SEND_IN_PROCESS="false"),
    ) as system:
        intake = system.urls["intake"]
        db = system.db["intake"]
        engine = create_engine(db)
        coach_id = str(add_roster_coach(engine, name="Joost Vermeer"))
        admin = Tokens.header(system.tokens.user("admin", sub="admin-e2e"))
        lead = Tokens.header(system.tokens.user("team_lead", sub="lead-e2e", office="AMS"))
        rng = random.Random(1415)
        with httpx.Client(timeout=30) as http:
            _agenda(http, intake, lead, coach_id, end="17:00")  # 8 slots for 6 claims
            for i in range(n):
                r = http.post(
                    f"{intake}/v1/claims",
                    json=_claim(rng, f"claimant{i}@example.org"),
                    headers=admin,
                )
                assert r.status_code == 201, r.text

        def pending() -> int:
            with engine.connect() as conn:
                return int(
                    conn.execute(
                        text("SELECT count(*) FROM messages WHERE status = 'pending'")
                    ).scalar_one()
                )

        wait_until(lambda: pending() == n, timeout=60, message=f"{n} invitations planned")

        def sender(faults: str) -> Any:
            env = service_env(
                "intake",
                state_dir=system.state_dir,
                database_url=db,
                kafka=system.kafka,
                topic_prefix=system.prefix,
                faults=faults,
            )
            env.update(_intake_env(smtp_server, INTAKE_MESSAGES_LEASE_S="1")["intake"])
            return system.procs.start("sender", ["jobs", "messages", "--loop"], env)

        # 1. Killed after claiming the 2nd message, before any SMTP for it.
        first = sender("delivery.after_claim@2")
        assert first.wait_exit(60) == -9
        assert len(smtp_server.messages()) == 1
        # 2. Killed right after the end-of-data of its 2nd message (the server has it).
        second = sender("smtp.after_end_of_data@2")
        assert second.wait_exit(60) == -9
        # 3. A clean sender settles the rest (after the dead attempts' lease).
        third = sender("")

        def statuses() -> dict[str, int]:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT status, count(*) FROM messages GROUP BY status")
                ).all()
            return {str(s): int(c) for s, c in rows}

        wait_until(
            lambda: set(statuses()) <= {"sent", "unconfirmed"},
            timeout=60,
            message="every message settled",
        )
        third.stop()
        final = statuses()
        # The message handed over when the sender died is not sent again (never twice):
        # it is unconfirmed, and it did arrive.
        assert final == {"sent": n - 1, "unconfirmed": 1}, final
        mails = smtp_server.messages()
        recipients = sorted(m.rcpt_tos[0] for m in mails)
        assert recipients == sorted(f"claimant{i}@example.org" for i in range(n)), recipients
        assert len({m.message_id for m in mails}) == n
