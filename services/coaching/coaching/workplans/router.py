"""HTTP API for work plans (issue 5 item 5)."""

from __future__ import annotations

from fastapi import APIRouter

from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/cases", tags=["work plans"], responses=PROBLEM_RESPONSES)
