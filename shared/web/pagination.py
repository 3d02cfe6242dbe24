"""Offset pagination with a stable sort, shared by every list endpoint."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

MAX_LIMIT = 200


class PageParams(BaseModel):
    """Validated `limit` and `offset` query parameters."""

    limit: int
    offset: int


def page_params(
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Items per page (max 200)"),
    offset: int = Query(0, ge=0, le=10_000_000, description="Items to skip"),
) -> PageParams:
    """FastAPI dependency for pagination parameters."""
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    """One page of results with the total count of matches."""

    items: list[T]
    total: int
    limit: int
    offset: int
