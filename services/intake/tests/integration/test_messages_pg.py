"""Messages to the claimant on PostgreSQL with a real SMTP server (issue 14, ADR 0028).

Decisions tested here:
- An event makes its messages once per event, kind and channel (redelivery adds nothing);
  e-mail when there is an address (with the .ics and the office's address), a letter when
  the claimant prefers paper or has no e-mail, never a letter for a reminder, a summons on
  paper as well, an SMS notice for appointment messages when there is a phone.
- The sender retries with backoff while the SMTP server is down and delivers after; an
  address the server refuses for good bounces and becomes a letter (a valid PDF).
- A reminder is sent at its moment, once; one whose appointment was cancelled before it
  went out is suppressed.
- Staff and the claimant see the messages of the claim; the text only for roles that may
  read it; resends are audited; letters download as PDF.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.orm import Session

from intake.appointments import reminders as appointments
from intake.appointments.rules import reminder_due_at
from intake.calendar.rules import WorkingDays
from intake.calendar.service import WorkingDayCalendar
from intake.messages.runtime import channels_of
from intake.messages.sending import send_due
from shared.clock import LOCAL_TZ, local_today
from shared.events.coaching import ObligationMissed
from shared.events.envelope import Event
from shared.events.starters import StartersIncomeStatementMissing
from shared.mail.sink import MailSink
from shared.messaging.relay import drain
from shared.messaging.transport import OutgoingMessage
from shared.runtime import ServiceContainer
from shared.sms.sink import read_sms, sms_dir
from shared.testdata import synthetic_bsn
from shared.web.app import build_app
from tests.support import bsn_scan
from tests.support.intake import add_roster_coach
from tests.support.pg import PgDatabases
from tests.support.smtp import wait_for_mail
from tests.support.system import container as build_container
from tests.support.tokens import Tokens

pytestmark = pytest.mark.integration

TODAY = local_today()
D1 = WorkingDays().add_working_days(TODAY, 1)
LATER = WorkingDays().add_working_days(TODAY, 8)
ME = "claimant-fenna"


@dataclass
class Intake:
    container: ServiceContainer
    client: TestClient
    tokens: Tokens
    rng: random.Random
    coach_id: uuid.UUID
    smtp: MailSink
    state_dir: Path
    bsns: list[str]

    def as_(self, *roles: str, sub: str = "user-1", office: str | None = None) -> dict[str, str]:
        return Tokens.header(self.tokens.user(*roles, sub=sub, office=office))

    @property
    def me(self) -> dict[str, str]:
        return self.as_("claimant", sub=ME)

    @property
    def coach(self) -> dict[str, str]:
        return self.as_("coach", sub=str(self.coach_id), office="AMS")

    def register(self, **extra: Any) -> dict[str, Any]:
        """A claim (by the claimant), its events handled; returns the claim."""
        bsn = synthetic_bsn(self.rng)
        self.bsns.append(bsn)
        body = {
            "bsn": bsn,
            "given_name": "Fenna",
            "family_name": "de Wit",
            "date_of_birth": "1988-03-03",
            "first_ww_day": TODAY.isoformat(),
            "postcode": "1011 AB",
            "street": "Nieuwmarkt",
            "house_number": "4",
            "city": "Amsterdam",
            **extra,
        }
        r = self.client.post("/v1/claims", json=body, headers=self.tokens.signed_in(self.me, bsn))
        assert r.status_code == 201, r.text
        self.pump()
        return dict(r.json())

    def appointment(self, claim_id: str) -> dict[str, Any]:
        listed = self.client.get(
            f"/v1/claims/{claim_id}/appointments", headers=self.as_("admin")
        ).json()
        active = [a for a in listed if a["status"] in ("booked", "rescheduled")]
        assert active, listed
        return dict(active[0])

    def pump(self) -> None:
        """Publish the outbox: intake's own consumer plans the messages."""
        drain(self.container.relay)

    def send(self, now: dt.datetime | None = None) -> Any:
        return send_due(self.container.uow, channels_of(self.container), now=now)

    def sql(self, sql: str, **params: Any) -> list[Any]:
        with self.container.engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []

    def messages(
        self, claim_id: str, headers: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        r = self.client.get(f"/v1/claims/{claim_id}/messages", headers=headers or self.as_("admin"))
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def handle(self, event: Event[Any], producer: str) -> None:
        """Deliver an event of another service as the broker would."""
        assert self.container.broker is not None
        self.container.broker.publish(
            [
                OutgoingMessage(
                    topic=self.container.settings.topic_for(producer),
                    key=str(event.subject).encode(),
                    value=event.model_dump_json().encode(),
                    headers=[("ce_id", str(event.id).encode()), ("ce_type", event.type.encode())],
                )
            ]
        )


@pytest.fixture
def intake(pg: PgDatabases, state_dir: Path, smtp_server: MailSink) -> Iterator[Intake]:
    c = build_container(
        "intake",
        database_url=pg.create("intake"),
        transport="embedded",
        broker=_broker(),
        state_dir=state_dir,
        log_level="WARNING",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        messages_retry_base_s=60,
        # The tests move the clock of the reminder job, not of the planner: remind always
        # (the gap rule has its own test below).
        messages_reminder_min_gap_hours=0,
    )
    c.migrate()
    c.subscribe_embedded()
    coach_id = add_roster_coach(c.engine, name="Sanne de Boer")
    it = Intake(
        c,
        TestClient(build_app(c, manage_lifecycle=False)),
        Tokens(state_dir / "dev-jwt-key.pem"),
        random.Random(14),
        coach_id,
        smtp_server,
        state_dir,
        [],
    )
    block = {"weekday": D1.weekday(), "start_time": "09:00", "end_time": "12:00"}
    later = {"weekday": LATER.weekday(), "start_time": "13:00", "end_time": "14:00"}
    r = it.client.put(
        f"/v1/coaches/{coach_id}/agenda",
        json={"blocks": [{**block, "office_code": "AMS"}, {**later, "office_code": "AMS"}]},
        headers=it.as_("team_lead", sub="lead-AMS", office="AMS"),
    )
    assert r.status_code == 200, r.text
    yield it
    c.stop()


def _broker() -> Any:
    from shared.messaging.embedded import EmbeddedBroker

    return EmbeddedBroker()


def _text_of(mail: Any) -> str:
    msg = mail.message()
    part = msg.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def _ics_of(mail: Any) -> icalendar.Calendar:
    msg = mail.message()
    (att,) = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(att.get_content())


def test_registration_sends_one_invitation_with_a_calendar_file_and_the_office_address(
    intake: Intake,
) -> None:
    claim = intake.register(email="fenna@example.org", phone="06 12345678")
    appointment = intake.appointment(claim["id"])
    run = intake.send()
    assert (run.sent, run.failed) == (2, 0)  # e-mail + SMS; no letter (she has e-mail)
    (mail,) = wait_for_mail(intake.smtp, 1)
    assert mail.rcpt_tos == ("fenna@example.org",)
    body = _text_of(mail)
    office = intake.client.get("/v1/offices/AMS/contact", headers=intake.me).json()
    assert f"{office['street']} {office['house_number']}" in body
    assert office["postcode"] in body
    assert "Sanne" in body
    cal = _ics_of(mail)
    (vevent,) = list(cal.walk("VEVENT"))
    assert vevent["DTSTART"].dt == dt.datetime.fromisoformat(appointment["starts_at"])
    assert office["street"] in str(vevent["LOCATION"])
    assert mail.message()["Reply-To"] == office["email"]
    (sms,) = read_sms(sms_dir(intake.state_dir))
    assert sms.phone_number == "+31612345678"

    # A redelivered event (the relay re-publishes) and another run add nothing.
    intake.sql("UPDATE outbox SET published_at = NULL")
    intake.pump()
    assert intake.send().attempted == 0
    assert len(intake.smtp.messages()) == 1
    kinds = sorted((m["kind"], m["channel"], m["status"]) for m in intake.messages(claim["id"]))
    assert kinds == [("invitation", "email", "sent"), ("invitation", "sms", "sent")]


def test_reschedule_sends_one_rescheduled_mail_and_the_reminder_comes_once_at_its_moment(
    intake: Intake,
) -> None:
    claim = intake.register(email="fenna@example.org", sms_notifications=False)
    a = intake.appointment(claim["id"])
    intake.send()
    alts = intake.client.get(f"/v1/appointments/{a['id']}/alternatives", headers=intake.me)
    # The latest alternative: the weekly 13:00 block, at least 3 working days ahead.
    later = sorted(alts.json()["items"], key=lambda s: s["starts_at"])[-1:]
    assert later, alts.json()
    assert dt.datetime.fromisoformat(later[0]["starts_at"]).date() > D1, alts.json()
    r = intake.client.post(
        f"/v1/appointments/{a['id']}/reschedule",
        json={"slot_id": later[0]["slot_id"]},
        headers=intake.me,
    )
    assert r.status_code == 200, r.text
    intake.pump()
    intake.send()
    mails = wait_for_mail(intake.smtp, 2)
    assert len(mails) == 2
    moved = _ics_of(mails[1])
    assert [e["DTSTART"].dt for e in moved.walk("VEVENT")] == [
        dt.datetime.fromisoformat(later[0]["starts_at"])
    ]

    starts = dt.datetime.fromisoformat(later[0]["starts_at"])
    with intake.container.uow() as uow:
        assert appointments.emit_due_reminders(uow=uow, now=starts - dt.timedelta(days=5)) == 0
    day = starts.astimezone(LOCAL_TZ).date()
    with Session(intake.container.engine) as session:
        due = reminder_due_at(starts, WorkingDayCalendar(session), "AMS")
    # 09:00 on the 2nd working day before (independently: two working days lie between).
    assert due.astimezone(LOCAL_TZ).time() == dt.time(9, 0)
    assert WorkingDays().add_working_days(due.astimezone(LOCAL_TZ).date(), 2) == day
    with intake.container.uow() as uow:
        assert appointments.emit_due_reminders(uow=uow, now=due) == 1
    with intake.container.uow() as uow:
        assert appointments.emit_due_reminders(uow=uow, now=due + dt.timedelta(hours=1)) == 0
    intake.pump()
    intake.send(now=due)
    mails = wait_for_mail(intake.smtp, 3)
    assert len(mails) == 3
    kinds = [(m["kind"], m["channel"]) for m in intake.messages(claim["id"])]
    assert sorted(kinds) == [
        ("invitation", "email"),
        ("reminder", "email"),
        ("rescheduled", "email"),
    ]


def test_a_reminder_for_a_cancelled_intake_is_suppressed(intake: Intake) -> None:
    claim = intake.register(email="fenna@example.org", sms_notifications=False)
    a = intake.appointment(claim["id"])
    intake.send()
    with intake.container.uow() as uow:
        assert appointments.emit_due_reminders(uow=uow, now=dt.datetime.now(dt.UTC)) == 1
    intake.pump()  # the reminder is planned ...
    r = intake.client.post(
        f"/v1/appointments/{a['id']}/cancel", json={"reason_code": "found_work"}, headers=intake.me
    )
    assert r.status_code == 200, r.text
    intake.pump()
    run = intake.send()  # ... but the appointment was cancelled before it went out
    assert run.suppressed == 1
    statuses = {(m["kind"], m["status"]) for m in intake.messages(claim["id"])}
    assert ("reminder", "suppressed") in statuses
    subjects = [m.subject or "" for m in intake.smtp.messages()]
    assert len(subjects) == 2  # the invitation and the cancellation, no reminder


def test_smtp_down_retries_with_backoff_then_delivers(intake: Intake) -> None:
    intake.smtp.stop()
    claim = intake.register(email="fenna@example.org", sms_notifications=False)
    t0 = dt.datetime.now(dt.UTC)
    run = intake.send(now=t0)
    assert (run.retrying, run.sent) == (1, 0)
    ((attempts, next_at),) = intake.sql(
        "SELECT attempts, next_attempt_at FROM messages WHERE channel = 'email'"
    )
    assert attempts == 1
    assert next_at == t0 + dt.timedelta(seconds=60)
    assert intake.send(now=t0 + dt.timedelta(seconds=30)).attempted == 0  # not due yet
    run = intake.send(now=t0 + dt.timedelta(seconds=60))
    ((attempts, next_at),) = intake.sql(
        "SELECT attempts, next_attempt_at FROM messages WHERE channel = 'email'"
    )
    assert attempts == 2
    assert next_at == t0 + dt.timedelta(seconds=60 + 120)
    intake.smtp.start()
    run = intake.send(now=t0 + dt.timedelta(seconds=180))
    assert run.sent == 1
    assert len(wait_for_mail(intake.smtp, 1)) == 1
    log = intake.client.get(
        f"/v1/messages/{intake.messages(claim['id'])[0]['id']}/attempts", headers=intake.coach
    ).json()
    assert [a["outcome"] for a in log] == ["retry", "retry", "sent"]


def test_a_refused_address_bounces_and_becomes_a_letter(intake: Intake) -> None:
    intake.smtp.refuse_recipients("nobody@", code=550)
    claim = intake.register(email="nobody@example.org", sms_notifications=False)
    run = intake.send()
    assert run.bounced == 1
    run = intake.send()  # the fallback letter goes to the print spool
    assert run.sent == 1
    msgs = {m["channel"]: m for m in intake.messages(claim["id"], intake.coach)}
    assert msgs["email"]["status"] == "bounced"
    letter = msgs["letter"]
    assert letter["fallback_for_id"] == msgs["email"]["id"]
    assert letter["status"] == "sent"
    assert letter["has_letter"]
    r = intake.client.get(f"/v1/messages/{letter['id']}/letter.pdf", headers=intake.me)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.content))
    page = pdf.pages[0].extract_text()
    assert "Fenna de Wit" in page
    assert "Nieuwmarkt 4" in page
    assert "1011 AB" in page
    r = intake.client.post("/v1/admin/print-batches/run", headers=intake.as_("admin"))
    assert r.status_code == 200, r.text
    batch = r.json()
    assert batch["letters"] == 1
    assert batch["pages"] >= 1
    assert len(PdfReader(batch["path"]).pages) == batch["pages"]


def test_paper_preference_a_summons_on_paper_and_no_letter_reminder(intake: Intake) -> None:
    claim = intake.register(contact_preference="post", sms_notifications=False)
    a = intake.appointment(claim["id"])
    intake.send()
    assert intake.smtp.messages() == []
    (m,) = intake.messages(claim["id"])
    assert (m["kind"], m["channel"], m["status"]) == ("invitation", "letter", "sent")
    # A reminder never goes on paper: nothing is planned for a post-only claimant.
    with intake.container.uow() as uow:
        appointments.emit_due_reminders(uow=uow, now=dt.datetime.now(dt.UTC))
    intake.pump()
    assert [x["kind"] for x in intake.messages(claim["id"])] == ["invitation"]
    # A no-show books a summons: on paper (and by e-mail when preferred).
    intake.sql(
        "UPDATE appointments SET starts_at = :s, ends_at = :e WHERE id = :id",
        s=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        e=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=15),
        id=uuid.UUID(a["id"]),
    )
    r = intake.client.post(f"/v1/appointments/{a['id']}/no-show", headers=intake.coach)
    assert r.status_code == 200, r.text
    intake.pump()
    kinds = [(x["kind"], x["channel"]) for x in intake.messages(claim["id"])]
    assert ("summons", "letter") in kinds, kinds


def test_obligation_missed_income_statement_and_case_closed_reach_the_claimant(
    intake: Intake,
) -> None:
    claim = intake.register(email="fenna@example.org", sms_notifications=False)
    cid = uuid.UUID(claim["id"])
    intake.handle(
        Event.create(
            ObligationMissed(
                claim_id=cid,
                regime="regular",
                period_start=TODAY - dt.timedelta(days=28),
                period_end=TODAY - dt.timedelta(days=1),
                activities_required=4,
                activities_reported=1,
            )
        ),
        "coaching",
    )
    intake.handle(
        Event.create(
            StartersIncomeStatementMissing(
                claim_id=cid, application_id=uuid.uuid4(), month="2026-11"
            )
        ),
        "starters",
    )
    r = intake.client.post(
        f"/v1/claims/{claim['id']}/withdraw",
        json={"reason_code": "found_work"},
        headers=intake.me,
    )
    assert r.status_code == 200, r.text
    intake.pump()
    intake.send()
    kinds = sorted(m["kind"] for m in intake.messages(claim["id"]) if m["channel"] == "email")
    assert "obligation_missed" in kinds
    assert "income_statement_missing" in kinds
    bodies = [_text_of(m) for m in intake.smtp.messages()]
    assert any("november 2026" in b for b in bodies)


def test_who_sees_what_and_staff_resend(intake: Intake) -> None:
    claim = intake.register(email="fenna@example.org", sms_notifications=False)
    intake.send()
    (listed,) = intake.messages(claim["id"], intake.me)
    assert listed["subject"]
    mid = listed["id"]
    # The claimant and a coach read the text; a triage analyst sees only the facts.
    own = intake.client.get(f"/v1/messages/{mid}", headers=intake.me).json()
    assert own["body_text"]
    assert "Fenna" in own["body_text"]
    analyst = intake.as_("triage_analyst", sub="analyst-1")
    facts = intake.client.get(f"/v1/messages/{mid}", headers=analyst).json()
    assert facts["body_text"] is None
    assert facts["subject"] is None
    assert intake.messages(claim["id"], analyst)[0]["subject"] is None
    # Another claimant: the claim and its messages do not exist for them.
    other = intake.as_("claimant", sub="someone-else")
    assert intake.client.get(f"/v1/claims/{claim['id']}/messages", headers=other).status_code == 404
    assert intake.client.get(f"/v1/messages/{mid}", headers=other).status_code == 404
    # Not a letter: 404 for the PDF.
    assert intake.client.get(f"/v1/messages/{mid}/letter.pdf", headers=intake.me).status_code == 404

    # A resend: audited with the reason, a new message; a second while it is pending is 409.
    r = intake.client.post(
        f"/v1/messages/{mid}/resend",
        json={"reason": "claimant lost the e-mail"},
        headers=intake.coach,
    )
    assert r.status_code == 201, r.text
    assert r.json()["resend_of_id"] == mid
    assert r.json()["status"] == "pending"
    again = intake.client.post(
        f"/v1/messages/{mid}/resend", json={"reason": "twice"}, headers=intake.coach
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    bad = intake.client.post(f"/v1/messages/{mid}/resend", json={}, headers=intake.coach)
    assert bad.status_code == 422
    assert "reason" in bad.text
    assert (
        intake.client.post(
            f"/v1/messages/{mid}/resend", json={"reason": "xyz"}, headers=intake.me
        ).status_code
        == 403
    )
    ((reason,),) = intake.sql("SELECT reason FROM audit_log WHERE action = 'message.resend'")
    assert reason == "claimant lost the e-mail"
    intake.send()
    assert len(wait_for_mail(intake.smtp, 2)) == 2


def test_preview_and_office_contacts(intake: Intake) -> None:
    for kind in ("invitation", "summons", "case_closed"):
        for language in ("nl", "en"):
            r = intake.client.get(
                f"/v1/message-templates/{kind}/preview",
                params={"language": language, "part": "html"},
                headers=intake.coach,
            )
            assert r.status_code == 200, r.text
            assert f'lang="{language}"' in r.text
    r = intake.client.get("/v1/message-templates/nope/preview", headers=intake.coach)
    assert r.status_code == 422
    assert "kind" in r.text
    assert (
        intake.client.get("/v1/message-templates/invitation/preview", headers=intake.me).status_code
        == 403
    )

    contact = intake.client.get("/v1/offices/AMS/contact", headers=intake.me).json()
    new = {k: contact[k] for k in contact if k not in ("code", "updated_at")}
    new["street"] = "Kantoorstraat"
    r = intake.client.put("/v1/offices/AMS/contact", json=new, headers=intake.as_("admin"))
    assert r.status_code == 200
    assert r.json()["street"] == "Kantoorstraat"
    bad = intake.client.put(
        "/v1/offices/AMS/contact", json={**new, "postcode": "0000"}, headers=intake.as_("admin")
    )
    assert bad.status_code == 422
    assert "postcode" in bad.text
    assert (
        intake.client.put("/v1/offices/AMS/contact", json=new, headers=intake.coach).status_code
        == 403
    )
    assert intake.client.get("/v1/offices/XXX/contact", headers=intake.me).status_code == 404
    claim = intake.register(email="fenna@example.org", sms_notifications=False)
    intake.send()
    assert "Kantoorstraat" in _text_of(intake.smtp.messages()[-1])
    assert claim


def test_no_bsn_in_any_message(intake: Intake) -> None:
    claim = intake.register(email="fenna@example.org", phone="06 12345678")
    intake.register(contact_preference="post")
    intake.send()
    needles = bsn_scan.needles(intake.bsns)
    blobs: dict[str, bytes] = {}
    for mail in intake.smtp.messages():
        blobs[f"mail {mail.path.name}"] = mail.path.read_bytes()
    for sms in read_sms(sms_dir(intake.state_dir)):
        blobs[f"sms {sms.reference}"] = sms.body.encode()
    rows = intake.sql(
        "SELECT id, subject, body_text, coalesce(body_html, ''), coalesce(ics, '') FROM messages"
    )
    for row in rows:
        blobs[f"message {row[0]}"] = json.dumps([str(v) for v in row[1:]]).encode()
    for mid, pdf in intake.sql("SELECT id, letter_pdf FROM messages WHERE letter_pdf IS NOT NULL"):
        blobs[f"letter {mid}"] = bytes(pdf)
        text_of = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        blobs[f"letter text {mid}"] = text_of.encode()
    assert len(blobs) >= 4
    assert bsn_scan.scan(blobs, needles) == []
    assert claim


def test_no_reminder_right_after_the_invitation(intake: Intake) -> None:
    """An intake booked within 2 working days is due for its reminder at once; the
    claimant was just told the time, so the gap rule (24 h by default) sends none."""
    intake.container.settings.messages_reminder_min_gap_hours = 24  # type: ignore[attr-defined]
    claim = intake.register(email="fenna@example.org", sms_notifications=False)
    with intake.container.uow() as uow:
        assert appointments.emit_due_reminders(uow=uow, now=dt.datetime.now(dt.UTC)) == 1
    intake.pump()
    intake.send()
    assert [m["kind"] for m in intake.messages(claim["id"])] == ["invitation"]
    assert len(intake.smtp.messages()) == 1


def test_a_waiting_message_follows_a_changed_address_and_stops_when_it_is_removed(
    intake: Intake,
) -> None:
    intake.smtp.stop()  # nothing goes out yet: the invitations wait
    first = intake.register(email="old@example.org", sms_notifications=False)
    second = intake.register(email="gone@example.org", sms_notifications=False)
    intake.send()
    for claim, email in ((first, "new@example.org"), (second, None)):
        r = intake.client.patch(
            f"/v1/claims/{claim['id']}", json={"email": email}, headers=intake.me
        )
        assert r.status_code == 200, r.text
    intake.pump()
    rows = intake.sql("SELECT claim_id, recipient, status FROM messages WHERE channel = 'email'")
    by_claim = {str(c): (rcpt, status) for c, rcpt, status in rows}
    assert by_claim[first["id"]] == ("new@example.org", "pending")
    assert by_claim[second["id"]][1] == "suppressed"
    intake.smtp.start()
    intake.send(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    (mail,) = wait_for_mail(intake.smtp, 1)
    assert mail.rcpt_tos == ("new@example.org",)
