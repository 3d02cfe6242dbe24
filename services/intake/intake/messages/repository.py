"""Queries of the messages: the deferred columns read on their own."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from intake.messages.models import Message

_T = Message.__table__.c


def bodies(session: Session, message_id: uuid.UUID) -> tuple[str, str | None, str | None]:
    """The text, html and .ics of a message."""
    row = session.execute(
        Message.__table__.select()
        .with_only_columns(_T.body_text, _T.body_html, _T.ics)
        .where(_T.id == message_id)
    ).one()
    return row[0], row[1], row[2]


def letter_pdf(session: Session, message_id: uuid.UUID) -> bytes | None:
    """A letter's PDF, if it has one."""
    pdf = session.scalar(
        Message.__table__.select().with_only_columns(_T.letter_pdf).where(_T.id == message_id)
    )
    return bytes(pdf) if pdf else None
