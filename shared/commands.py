"""What the services' scheduled jobs (`ww jobs ...`, each service's `jobs.py`) share.

A job runs once, in its own process (a CronJob), against its service's database: it opens
the service's container, does its work in units of work, prints one summary line and stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from shared.db.audit import Actor
    from shared.runtime import ServiceContainer, ServiceSpec

# The jobs' summary lines go to stderr (stdout stays free for a command's output).
console = Console(stderr=True)


@contextmanager
def job_container(spec: ServiceSpec) -> Iterator[ServiceContainer]:
    """The service's container on its own settings (environment), stopped afterwards.

    Events go to the outbox like any other change; the service's relay process publishes them.
    """
    from shared.messaging.embedded import EmbeddedBroker
    from shared.runtime import ServiceContainer

    container = ServiceContainer(spec, spec.settings_cls(), broker=EmbeddedBroker())
    try:
        yield container
    finally:
        container.stop()


def job_actor(job: str) -> Actor:
    """The audit actor of a scheduled job (kind `system`, subject `job:<name>`)."""
    from shared.db.audit import Actor

    return Actor(subject=f"job:{job}", kind="system", roles=("admin",))
