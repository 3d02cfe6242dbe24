"""HTTP API for contact moments (issue 5 item 6)."""

from __future__ import annotations

from fastapi import APIRouter

from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/cases", tags=["contact moments"], responses=PROBLEM_RESPONSES)
