"""Structured JSON logging with the correlation id bound and BSNs redacted."""

from __future__ import annotations

import logging
import re
import sys
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


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger bound to a module name."""
    return structlog.stdlib.get_logger(name)  # type: ignore[no-any-return]
