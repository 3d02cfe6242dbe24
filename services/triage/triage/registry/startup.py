"""Start-up hook: register shipped model files and activate the default if none is active."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from shared.db.audit import Actor
from shared.db.types import utcnow
from shared.logging import get_logger
from shared.runtime import ServiceContainer
from triage.registry import service
from triage.settings import TriageSettings

log = get_logger(__name__)


def sync_on_start(container: ServiceContainer[TriageSettings]) -> None:
    """ServiceSpec.extra_init: idempotent; skipped while the schema is not migrated yet.

    A fresh database gets the same from the migration that creates the table, so this only
    matters when a release ships a new model file. Several processes of the service may
    start at once: a lost race is harmless and only logged.
    """
    try:
        if not inspect(container.engine).has_table("model_versions"):
            return
        with container.uow() as uow:
            added = service.sync_shipped(
                uow=uow,
                default_version=container.settings.default_model_version,
                actor=Actor.system("triage"),
                now=utcnow(),
            )
        if added:
            log.info("triage.shipped_models_registered", versions=added)
    except IntegrityError:
        log.info("triage.shipped_models_race", detail="another process registered them")
    except (OperationalError, ProgrammingError) as exc:
        log.warning("triage.shipped_models_skipped", error_type=type(exc).__name__)
