"""What `ww triage ...` commands share: the service container and the CLI's audit actor."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

from shared.db.audit import Actor
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from triage.main import SPEC
from triage.settings import TriageSettings


@contextmanager
def cli_container() -> Iterator[ServiceContainer[TriageSettings]]:
    """The triage container on the service's own settings (TRIAGE_/WW_ environment).

    Events go to the outbox like any other change; the service's relay publishes them.
    """
    container = ServiceContainer(SPEC, TriageSettings(), broker=EmbeddedBroker())
    try:
        yield container
    finally:
        container.stop()


def cli_actor() -> Actor:
    """The audit actor of a command run by an operator (the OS user, kind `cli`)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(subject=f"cli:{user}", kind="cli", roles=("admin",))
