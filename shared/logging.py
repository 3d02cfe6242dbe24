"""Structured JSON logging with the correlation id bound and BSNs redacted."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import structlog

from shared.bsn import mask_bsn_in_text

_configured = False


def _redact_bsn(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # Defence in depth: code must never log a BSN, but if a message or field carries one
    # (e.g. echoed input in an exception) it is masked before it leaves the process.
    for key, value in list(event_dict.items()):
        if isinstance(value, str):
            event_dict[key] = mask_bsn_in_text(value)
        elif isinstance(value, int) and _NINE_DIGITS.fullmatch(str(value)):
            event_dict[key] = mask_bsn_in_text(str(value))
    return event_dict


_NINE_DIGITS = re.compile(r"\d{8,9}")


def safe_error_fields(exc: BaseException) -> dict[str, Any]:
    """What a log line may say about an exception: types, SQLSTATE, constraint and frames.

    Never the message or args: a database error carries the statement's parameters and
    PostgreSQL's DETAIL (`Key (email)=(...)`), other errors may carry the input.
    """
    # Frames from the innermost cause outwards; the line numbers find the failing code.
    chain: list[str] = []
    frames: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(f"{type(current).__module__}.{type(current).__qualname__}")
        frames = [
            f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(current.__traceback__)
        ] + frames
        current = current.__cause__ or current.__context__
    fields: dict[str, Any] = {"error_type": type(exc).__name__, "error_chain": chain}
    orig = getattr(exc, "orig", None)
    if (state := getattr(orig, "sqlstate", None)) is not None:
        fields["sqlstate"] = str(state)
    diag = getattr(orig, "diag", None)
    if (constraint := getattr(diag, "constraint_name", None)) is not None:
        fields["constraint"] = constraint
    fields["stack"] = frames[-30:]
    return fields


class _NoExceptionText(logging.Filter):
    """Replace a server's own traceback of an unhandled error by its safe fields.

    Starlette re-raises an error that reached the catch-all handler so that the server
    (uvicorn, `uvicorn.error`) logs it; that traceback ends with the exception's message,
    which for a database error carries the statement parameters. The app's handler has
    already logged the safe fields, so the server's line keeps only the same.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"unhandled error {safe_error_fields(record.exc_info[1])}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(*, level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and the stdlib root logger once per process."""
    global _configured
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact_bsn,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    root = logging.getLogger()
    if not _configured:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter)
        handler.set_name("ww")
        root.handlers = [h for h in root.handlers if h.get_name() != "ww"] + [handler]
        _configured = True
    else:
        for h in root.handlers:
            if h.get_name() == "ww":
                h.setFormatter(formatter)
    root.setLevel(level.upper())
    # kafka-python is chatty at INFO about connection churn.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers = []
        lg.propagate = True
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _NoExceptionText) for f in server_log.filters):
        server_log.addFilter(_NoExceptionText())


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger bound to a module name."""
    return structlog.stdlib.get_logger(name)  # type: ignore[no-any-return]
