"""HTTP API for the job-search obligation (issue 5 item 7)."""

from __future__ import annotations

from fastapi import APIRouter

from shared.web.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["obligations"], responses=PROBLEM_RESPONSES)
