"""Alembic environment of the intake service."""

from intake.db import Base
from intake.main import SPEC  # noqa: F401  (imports every model)
from shared.db.alembic_env import run_migrations

run_migrations(Base.metadata)
