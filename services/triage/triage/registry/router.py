"""HTTP API of the model registry (`/v1/models`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Response

from shared.db.types import utcnow
from shared.web.auth import STAFF_ROLES, Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES, conflict_doc
from triage.deps import Container
from triage.registry import service
from triage.registry.models import ModelVersion
from triage.registry.schemas import ActivationCreate, ModelVersionDetail, ModelVersionRead

router = APIRouter(prefix="/v1/models", tags=["models"], responses=PROBLEM_RESPONSES)

LIST_ROLES = (Role.TRIAGE_ANALYST, Role.ADMIN)
READ_ROLES = tuple(sorted(STAFF_ROLES))
VersionPath = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", description="Model version")


def to_read(row: ModelVersion) -> ModelVersionRead:
    """Response model of a model version (no coefficients)."""
    return ModelVersionRead(
        version=row.version,
        questionnaire_version=row.questionnaire_version,
        source=row.source,
        checksum=row.checksum,
        created_at=row.created_at,
        created_by=row.created_by,
        active=row.active,
        activated_at=row.activated_at,
        activated_by=row.activated_by,
    )


def to_detail(row: ModelVersion) -> ModelVersionDetail:
    """Response model of a model version with its card and model file."""
    return ModelVersionDetail(
        **to_read(row).model_dump(), card=dict(row.body.get("card", {})), model=dict(row.body)
    )


@router.get("", response_model=Page[ModelVersionRead], summary="List the model versions")
def list_models(
    *,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=LIST_ROLES)),
    container: Container,
) -> Page[ModelVersionRead]:
    """Every registered version, newest first; `active` marks the one in use."""
    with container.uow() as uow:
        rows, total = service.list_versions(uow=uow, limit=page.limit, offset=page.offset)
        items = [to_read(r) for r in rows]
    return Page[ModelVersionRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/{version}", response_model=ModelVersionDetail, summary="A model version with its card"
)
def get_model(
    *,
    version: str = VersionPath,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
    container: Container,
) -> ModelVersionDetail:
    """The model card (intended use, inputs, excluded attributes, limits) and coefficients."""
    with container.uow() as uow:
        return to_detail(service.get_version(uow=uow, version=version))


@router.post(
    "",
    response_model=ModelVersionDetail,
    status_code=201,
    summary="Upload a fitted model file (admin); it is not active until activated",
)
def upload_model(
    *,
    response: Response,
    body: dict[str, Any] = Body(
        description="A model file as written by `ww triage fit` (docs/triage-model.md)"
    ),
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
    container: Container,
) -> ModelVersionDetail:
    """422 names each invalid field of the model file; 409 if the version exists."""
    with container.uow() as uow:
        row = service.register_model(uow=uow, data=body, actor=principal.as_actor(), now=utcnow())
        detail = to_detail(row)
    response.headers["Location"] = f"/v1/models/{detail.version}"
    return detail


@router.post(
    "/{version}/activate",
    responses=conflict_doc("the model version is already active or cannot be activated"),
    response_model=ModelVersionRead,
    summary="Make a model version the active one (admin; audited with the reason)",
)
def activate_model(
    *,
    data: ActivationCreate,
    version: str = VersionPath,
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
    container: Container,
) -> ModelVersionRead:
    """New scores use the active version; existing scores keep theirs (`ww triage score-all`
    re-scores the running stock). 404 for an unknown version, 409 if already active."""
    with container.uow() as uow:
        row = service.activate(
            uow=uow,
            version=version,
            reason=data.reason,
            actor=principal.as_actor(),
            now=utcnow(),
        )
        return to_read(row)
