"""`python -m bench.mail_sink DIR PORT_FILE`: the messages phase's SMTP server in its own
process.

A `shared.mail.sink.MailSink` (aiosmtpd, `durable=False`: the bench measures the sender,
not the disk) on a free port; the port is written to PORT_FILE once it listens. In its own
process so the server's CPU (asyncio parsing, one file pair per message) runs on the
other core instead of competing for the GIL of the process being measured. Stops on
SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from shared.mail.sink import MailSink


def main(argv: list[str]) -> int:
    directory, port_file = Path(argv[0]), Path(argv[1])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sink = MailSink(directory=directory, durable=False).start()
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(sink.port))
    tmp.replace(port_file)  # the reader never sees a half-written port
    try:
        stop.wait()
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
