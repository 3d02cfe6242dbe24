"""`ww mail list/show/sms` read what the local sinks stored (another process may read it)."""

from __future__ import annotations

import uuid
from pathlib import Path

from typer.testing import CliRunner

from shared.mail.compose import compose
from shared.mail.sink import MailSink, mail_dir
from shared.mail.smtp import SmtpSender
from shared.sms.sink import FileSmsSink, sms_dir
from tests.support.smtp import smtp_settings
from ww.cli import app


class _Attempt:
    row_id, number = uuid.uuid4(), 1

    def handing_over(self) -> None:
        pass


def test_list_and_show_what_the_sink_received(state_dir: Path) -> None:
    with MailSink(directory=mail_dir(state_dir)) as sink:
        sender = SmtpSender(smtp_settings(sink))
        for n, subject in enumerate(["Uitnodiging intakegesprek", "Herinnering intakegesprek"]):
            msg = compose(
                sender="UWV WW <ww@uwv.example>",
                reply_to=None,
                to=f"claimant{n}@example.nl",
                subject=subject,
                text=f"Geheime inhoud {n}",
                html="<p>x</p>",
                ics="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" if n == 0 else None,
                message_id=f"<m{n}@ww.example>",
                language="nl",
            )
            assert sender.send(msg, _Attempt()).outcome == "sent"  # type: ignore[arg-type]
    runner = CliRunner()
    listed = runner.invoke(app, ["mail", "list", "--state-dir", str(state_dir)])
    assert listed.exit_code == 0, listed.output
    assert "Uitnodiging intakegesprek" in listed.output
    assert "claimant1@example.nl" in listed.output
    assert "Geheime inhoud" not in listed.output  # no bodies in the list
    shown = runner.invoke(app, ["mail", "show", "1", "--state-dir", str(state_dir)])
    assert shown.exit_code == 0, shown.output
    assert "Geheime inhoud 0" in shown.output
    assert "uitnodiging.ics" in shown.output
    missing = runner.invoke(app, ["mail", "show", "3", "--state-dir", str(state_dir)])
    assert missing.exit_code != 0


def test_sms_lists_the_file_sink(state_dir: Path) -> None:
    FileSmsSink(sms_dir(state_dir)).send(phone="+31612345678", body="Herinnering", reference="r")
    runner = CliRunner()
    plain = runner.invoke(app, ["mail", "sms", "--state-dir", str(state_dir)])
    assert plain.exit_code == 0, plain.output
    assert "+31612345678" in plain.output
    assert "Herinnering" not in plain.output
    with_body = runner.invoke(app, ["mail", "sms", "--body", "--state-dir", str(state_dir)])
    assert "Herinnering" in with_body.output
