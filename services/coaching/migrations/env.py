"""Alembic environment of the coaching service."""

from coaching.db import Base
from coaching.main import SPEC  # noqa: F401  (imports every model)
from shared.db.alembic_env import run_migrations

run_migrations(Base.metadata)
