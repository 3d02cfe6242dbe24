"""Counting rows in a service's database (PostgreSQL or SQLite) with plain SQL."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def scalar(url: str, sql: str, **params: object) -> int:
    """Run one counting query and return the integer."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()
