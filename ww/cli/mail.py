"""`ww mail ...`: what the local mail sink (and the file SMS sink) received; run a sink.

Reads the sink's directory in the state dir, so it works while `make run` is sending
(another process) and after it stopped.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="The local mail sink: list, show and serve e-mail (and dev SMS).", no_args_is_help=True
)
console = Console()

StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        envvar="WW_STATE_DIR",
        help="the state directory of `make run` (default: the repository's var/)",
    ),
]


def _state_dir(given: Path | None) -> Path:
    from shared.settings import DEFAULT_STATE_DIR

    return given or DEFAULT_STATE_DIR


@app.command("list")
def list_mail(state_dir: StateDir = None) -> None:
    """The e-mails the local sink received, oldest first (no bodies)."""
    from shared.mail.sink import mail_dir, read_messages

    found = read_messages(mail_dir(_state_dir(state_dir)))
    table = Table("#", "received (UTC)", "to", "subject")
    for n, mail in enumerate(found, start=1):
        table.add_row(
            str(n),
            f"{mail.received_at:%Y-%m-%d %H:%M:%S}",
            ", ".join(mail.rcpt_tos),
            mail.subject or "",
        )
    console.print(table)
    console.print(f"{len(found)} message(s) in {mail_dir(_state_dir(state_dir))}")


@app.command("show")
def show_mail(
    n: Annotated[int, typer.Argument(min=1, help="the number from `ww mail list`")],
    state_dir: StateDir = None,
) -> None:
    """One received e-mail: its headers, text part and attachment names."""
    from shared.mail.compose import text_part
    from shared.mail.sink import mail_dir, read_messages

    found = read_messages(mail_dir(_state_dir(state_dir)))
    if n > len(found):
        raise typer.BadParameter(f"there are {len(found)} message(s)")
    msg = found[n - 1].message()
    for name, value in msg.items():
        if not name.lower().startswith(("content-", "mime-")):
            console.print(f"[bold]{name}:[/bold] {value}", highlight=False)
    console.print()
    console.print(text_part(msg) or "(no text part)", highlight=False, markup=False)
    for part in msg.iter_attachments():
        console.print(f"[dim]attachment: {part.get_filename()} ({part.get_content_type()})[/dim]")


@app.command("sms")
def list_sms(
    state_dir: StateDir = None,
    body: Annotated[bool, typer.Option(help="show the text of each SMS")] = False,
) -> None:
    """The SMS the file sink received (when no Notify key is set), oldest first."""
    from shared.sms.sink import read_sms, sms_dir

    found = read_sms(sms_dir(_state_dir(state_dir)))
    table = Table("#", "sent (UTC)", "to", *(["text"] if body else []))
    for n, sms in enumerate(found, start=1):
        table.add_row(
            str(n),
            f"{sms.sent_at:%Y-%m-%d %H:%M:%S}",
            sms.phone_number,
            *([sms.body] if body else []),
        )
    console.print(table)


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="the port to listen on")] = 8025,
    host: Annotated[str, typer.Option(help="the address to listen on")] = "127.0.0.1",
    state_dir: StateDir = None,
) -> None:
    """Run the local mail sink in the foreground (Ctrl-C stops it)."""
    from shared.mail.sink import MailSink, mail_dir

    directory = mail_dir(_state_dir(state_dir))
    sink = MailSink(directory=directory, host=host, port=port).start()
    console.print(f"mail sink on {host}:{sink.port}, storing in {directory}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()
