"""Alembic environment of the starters service."""

from shared.db.alembic_env import run_migrations
from starters.db import Base
from starters.main import SPEC  # noqa: F401  (imports every model)

run_migrations(Base.metadata)
