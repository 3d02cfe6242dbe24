"""Request- and message-scoped context carried across threads via contextvars."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from shared.bsn import mask_bsn_in_text

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id_var: ContextVar[str | None] = ContextVar("causation_id", default=None)

_CORRELATION_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def new_correlation_id() -> str:
    """Return a fresh correlation id."""
    return str(uuid.uuid4())


def sanitize_correlation_id(value: str | None) -> str:
    """Accept a caller's correlation id only when it is short and harmless; otherwise mint one."""
    # A caller's id is copied into logs, audit rows and events: never accept one carrying a BSN.
    if value and _CORRELATION_RE.match(value) and mask_bsn_in_text(value) == value:
        return value
    return new_correlation_id()


def current_correlation_id() -> str:
    """The correlation id of the current request or message, minting one if none is set."""
    value = correlation_id_var.get()
    if value is None:
        value = new_correlation_id()
        correlation_id_var.set(value)
    return value
