"""Alembic environment of the triage service."""

from shared.db.alembic_env import run_migrations
from triage.db import Base
from triage.main import SPEC  # noqa: F401  (imports every model)

run_migrations(Base.metadata)
