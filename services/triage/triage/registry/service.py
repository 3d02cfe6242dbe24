"""Model registry rules: register (shipped or fitted) model files, activate exactly one."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from shared.db.audit import Actor
from shared.db.uow import UnitOfWork
from shared.logging import get_logger
from shared.web.problems import Conflict, NotFound, ValidationFailed
from triage.registry import repository
from triage.registry.models import FITTED, SHIPPED, ModelVersion
from triage.scoring import model as core

log = get_logger(__name__)

_CACHE_LOCK = threading.Lock()
_PARSED: dict[str, core.ModelFile] = {}  # checksum -> parsed model file (versions never change)
_CACHE_MAX = 64


class ModelFileInvalidError(ValidationFailed):
    """An uploaded model file does not validate; `errors` names each field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        super().__init__(f"invalid model file: {fields}", errors=errors)


def checksum(model_file: core.ModelFile) -> str:
    """SHA-256 of the canonical model file text."""
    return hashlib.sha256(core.dump(model_file).encode()).hexdigest()


def _field(loc: tuple[int | str, ...], message: str) -> str:
    if loc:
        return ".".join(str(p) for p in loc)
    # Whole-file rules (ModelFile._inputs_allowed) carry no location: name what they check.
    return "questionnaire_version" if "questionnaire version" in message else "features"


def parse_model_file(data: Any) -> core.ModelFile:
    """Validate a model file; ModelFileInvalidError (422) names every failing field."""
    if not isinstance(data, dict):
        raise ModelFileInvalidError(
            [
                {
                    "field": "body",
                    "location": "body",
                    "message": "must be a model file",
                    "code": "type",
                }
            ]
        )
    try:
        return core.ModelFile.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            message = str(err.get("msg", "")).removeprefix("Value error, ")
            errors.append(
                {
                    "field": _field(tuple(err.get("loc", ())), message),
                    "location": "body",
                    "message": message,
                    "code": str(err.get("type", "")),
                }
            )
        raise ModelFileInvalidError(errors) from None


def _cached(digest: str) -> core.ModelFile | None:
    with _CACHE_LOCK:
        return _PARSED.get(digest)


def _remember(digest: str, parsed: core.ModelFile) -> core.ModelFile:
    with _CACHE_LOCK:
        if len(_PARSED) >= _CACHE_MAX:
            _PARSED.clear()
        _PARSED[digest] = parsed
    return parsed


def model_file_of(row: ModelVersion) -> core.ModelFile:
    """The parsed model file of a registered version (cached by checksum)."""
    cached = _cached(row.checksum)
    if cached is not None:
        return cached
    return _remember(row.checksum, core.ModelFile.model_validate(row.body))


def active_model(*, uow: UnitOfWork) -> core.ModelFile | None:
    """The active model file, or None when no version is active.

    Reads only the active checksum per call; the body is read and parsed once per checksum.
    """
    digest = repository.active_checksum(uow.session)
    if digest is None:
        return None
    cached = _cached(digest)
    if cached is not None:
        return cached
    body = repository.body_by_checksum(uow.session, digest)
    assert body is not None
    return _remember(digest, core.ModelFile.model_validate(body))


def _new_row(
    model_file: core.ModelFile, *, source: str, actor: Actor, now: dt.datetime
) -> ModelVersion:
    return ModelVersion(
        version=model_file.version,
        questionnaire_version=model_file.questionnaire_version,
        body=model_file.model_dump(mode="json"),
        checksum=checksum(model_file),
        source=source,
        created_at=now,
        created_by=actor.subject,
        active=False,
    )


def register_model(
    *, uow: UnitOfWork, data: Any, actor: Actor, now: dt.datetime, source: str = FITTED
) -> ModelVersion:
    """Register a model file (not active yet); 422 if invalid, 409 if the version exists."""
    model_file = parse_model_file(data)
    if repository.get(uow.session, model_file.version) is not None:
        raise Conflict(f"model version {model_file.version} already exists; versions never change")
    row = _new_row(model_file, source=source, actor=actor, now=now)
    repository.add(uow.session, row)
    uow.audit(
        actor=actor,
        action="model.register",
        resource_type="model_version",
        resource_id=row.version,
        new={"source": source, "checksum": row.checksum},
    )
    try:
        uow.commit()
    except IntegrityError:
        uow.rollback()
        raise Conflict(f"model version {model_file.version} already exists") from None
    return row


def activate(
    *, uow: UnitOfWork, version: str, reason: str, actor: Actor, now: dt.datetime
) -> ModelVersion:
    """Make `version` the one active model (audited with the reason); 409 if it already is."""
    row = repository.get(uow.session, version)
    if row is None:
        raise NotFound(f"no model version {version}")
    if row.active:
        raise Conflict(f"model version {version} is already active")
    previous = repository.active(uow.session)
    if previous is not None:
        previous.active = False
        # The partial unique index allows one active row: clear the old one first.
        uow.session.flush()
    row.active = True
    row.activated_at = now
    row.activated_by = actor.subject
    row.activation_reason = reason
    uow.audit(
        actor=actor,
        action="model.activate",
        resource_type="model_version",
        resource_id=version,
        reason=reason,
        old={"active_version": previous.version if previous is not None else None},
        new={"active_version": version},
    )
    try:
        uow.commit()
    except IntegrityError:
        uow.rollback()
        raise Conflict("another activation happened at the same time; try again") from None
    log.info("triage.model_activated", version=version, previous=previous and previous.version)
    return row


def sync_shipped(
    *, uow: UnitOfWork, default_version: str, actor: Actor, now: dt.datetime
) -> list[str]:
    """Register shipped model files not yet known and, if none is active, activate the default.

    Idempotent; returns the versions registered now. A shipped file whose version is known
    with another checksum is left alone (a version never changes) and logged.
    """
    known = {v: repository.get(uow.session, v) for v in repository.versions(uow.session)}
    added: list[str] = []
    for version, model_file in sorted(core.shipped().items()):
        existing = known.get(version)
        if existing is not None:
            if existing.checksum != checksum(model_file):
                log.warning("triage.shipped_model_differs", version=version)
            continue
        repository.add(uow.session, _new_row(model_file, source=SHIPPED, actor=actor, now=now))
        uow.audit(
            actor=actor,
            action="model.register",
            resource_type="model_version",
            resource_id=version,
            new={"source": SHIPPED, "checksum": checksum(model_file)},
        )
        added.append(version)
    uow.session.flush()
    if repository.active(uow.session) is None:
        default = repository.get(uow.session, default_version)
        if default is None:
            log.warning("triage.default_model_missing", version=default_version)
        else:
            default.active = True
            default.activated_at = now
            default.activated_by = actor.subject
            default.activation_reason = "default model: no version was active"
            uow.audit(
                actor=actor,
                action="model.activate",
                resource_type="model_version",
                resource_id=default_version,
                reason="default model: no version was active",
                new={"active_version": default_version},
            )
    uow.commit()
    return added


def list_versions(
    *, uow: UnitOfWork, limit: int, offset: int
) -> tuple[Sequence[ModelVersion], int]:
    """A page of model versions, newest first."""
    return repository.page(uow.session, limit=limit, offset=offset)


def get_version(*, uow: UnitOfWork, version: str) -> ModelVersion:
    """One model version; 404 if unknown."""
    row = repository.get(uow.session, version)
    if row is None:
        raise NotFound(f"no model version {version}")
    return row
