"""The claimant's pages."""

from __future__ import annotations

from fastapi import APIRouter

from web.i18n import register

router = APIRouter()

register({"nl": {}, "en": {}})
