"""Request and response models of the model registry API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.bsn import FreeText
from shared.web.validation import MultiLine, RequestModel


class ModelVersionRead(BaseModel):
    """A registered model version (without its coefficients)."""

    version: str
    questionnaire_version: str
    source: str = Field(description="shipped (with the service) or fitted (uploaded)")
    checksum: str = Field(description="SHA-256 of the canonical model file")
    created_at: dt.datetime
    created_by: str
    active: bool
    activated_at: dt.datetime | None
    activated_by: str | None


class ModelVersionDetail(ModelVersionRead):
    """A model version with its model card and the full model file."""

    card: dict[str, Any] = Field(description="Intended use, inputs, excluded attributes, limits")
    model: dict[str, Any] = Field(
        description="The model file: intercept, features, thresholds, card"
    )


class ActivationCreate(RequestModel):
    """Why a model version becomes the active one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Annotated[FreeText, MultiLine()] = Field(min_length=3, max_length=1000)
