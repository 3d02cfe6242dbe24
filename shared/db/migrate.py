"""Run a service's Alembic migrations programmatically (CLI, tests, start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(url: str, migrations_dir: Path, service: str) -> Config:
    """An Alembic config for one service: its own scripts and its own version table."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("version_table", f"alembic_version_{service}")
    cfg.set_main_option(
        "file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    cfg.attributes["service"] = service
    return cfg


def upgrade(url: str, migrations_dir: Path, service: str, revision: str = "heads") -> None:
    """Upgrade the database at `url` to `revision` (default: every head, so feature branches
    of the migration history that are not merged yet all apply)."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url, migrations_dir, service), revision)
