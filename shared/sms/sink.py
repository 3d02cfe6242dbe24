"""An SMS "provider" that writes each text as a JSON file (embedded mode, development).

Used when no Notify key is configured, so `make run` sends SMS somewhere a developer can
read them (`ww mail sms`). Each file is written atomically, so a reader in another
process never sees half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from shared.delivery import Attempt, SendOutcome

# The sink's directory inside a state directory.
SMS_DIR = "sms"


def sms_dir(state_dir: Path) -> Path:
    """Where the file SMS sink of a state directory keeps its texts."""
    return state_dir / SMS_DIR


@dataclass(frozen=True)
class StoredSms:
    """One text the sink received."""

    id: str
    phone_number: str
    body: str
    reference: str
    sent_at: dt.datetime
    path: Path


class FileSmsSink:
    """Keeps every SMS as `<sent>-<id>.json` in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(
        self, *, phone: str, body: str, reference: str, attempt: Attempt | None = None
    ) -> SendOutcome:
        """Store the text; `sent` with the file's id."""
        self.directory.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        sms_id = str(uuid.uuid4())
        record = {
            "id": sms_id,
            "phone_number": phone,
            "body": body,
            "reference": reference,
            "sent_at": now.isoformat(),
        }
        if attempt is not None:
            attempt.handing_over()
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".incoming-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record, f, ensure_ascii=False)
            os.replace(tmp, self.directory / f"{now:%Y%m%dT%H%M%S%f}-{sms_id}.json")
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            return SendOutcome.retry(f"could not write the SMS file: {type(exc).__name__}")
        return SendOutcome.sent(sms_id)

    def messages(self) -> list[StoredSms]:
        """Every stored text, oldest first."""
        return read_sms(self.directory)


def read_sms(directory: Path) -> list[StoredSms]:
    """The texts in a sink's directory, oldest first (any process may call this)."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            r = json.loads(path.read_text("utf-8"))
            found.append(
                StoredSms(
                    id=r["id"],
                    phone_number=r["phone_number"],
                    body=r["body"],
                    reference=r["reference"],
                    sent_at=dt.datetime.fromisoformat(r["sent_at"]),
                    path=path,
                )
            )
        except (OSError, ValueError, KeyError):
            continue
    return found
