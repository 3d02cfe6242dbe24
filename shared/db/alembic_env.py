"""The body of every service's migrations/env.py: online migrations with its own version table."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData, engine_from_config, pool, text


def run_migrations(target_metadata: MetaData) -> None:
    """Run migrations for the URL and version table set by shared.db.migrate.alembic_config."""
    config = context.config
    version_table = config.get_main_option("version_table") or "alembic_version"
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=target_metadata,
            version_table=version_table,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}) or {"sqlalchemy.url": url},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Several processes of one service may start at once: one migrates, the
                # others wait for the lock and then find nothing to do.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": version_table}
                )
            context.run_migrations()
