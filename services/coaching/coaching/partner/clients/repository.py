"""Queries over partner clients and their rate-limit windows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from coaching.partner.clients.models import (
    PartnerClient,
    PartnerRateWindow,
    PartnerTokenFailureWindow,
)


def get(session: Session, client_id: str) -> PartnerClient | None:
    """A client by id."""
    return session.get(PartnerClient, client_id)


def get_for_update(session: Session, client_id: str) -> PartnerClient | None:
    """A client by id, locked for the rest of the transaction (PostgreSQL)."""
    return session.scalars(
        select(PartnerClient).where(PartnerClient.client_id == client_id).with_for_update()
    ).one_or_none()


def add(session: Session, client: PartnerClient) -> None:
    """Stage a new client."""
    session.add(client)


def list_clients(
    session: Session, *, status: str | None, limit: int, offset: int
) -> tuple[Sequence[PartnerClient], int]:
    """A page of clients by name and the total."""
    conditions = [PartnerClient.status == status] if status else []
    total = session.execute(
        select(func.count()).select_from(PartnerClient).where(*conditions)
    ).scalar_one()
    rows = session.scalars(
        select(PartnerClient)
        .where(*conditions)
        .order_by(PartnerClient.name, PartnerClient.client_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, int(total)


def hit_rate_window(session: Session, *, client_id: str, window_start: int) -> int:
    """Count one request in the client's window and return the window's count so far.

    One statement, INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so concurrent requests on
    any replica each see a distinct count (PostgreSQL row lock; SQLite locks the database).
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(PartnerRateWindow)
        .values(client_id=client_id, window_start=window_start, hits=1)
        .on_conflict_do_update(
            index_elements=[PartnerRateWindow.client_id, PartnerRateWindow.window_start],
            set_={"hits": PartnerRateWindow.hits + 1},
        )
        .returning(PartnerRateWindow.hits)
    )
    return int(session.execute(stmt).scalar_one())


def purge_rate_windows(session: Session, *, client_id: str, before: int) -> None:
    """Forget a client's windows that started before `before` (they can no longer matter)."""
    session.execute(
        delete(PartnerRateWindow).where(
            PartnerRateWindow.client_id == client_id, PartnerRateWindow.window_start < before
        )
    )


def hit_token_attempt(session: Session, *, client_key: str, address: str, window_start: int) -> int:
    """Count one unproven token request of (client, address) in the window; the count so far.

    Atomic like `hit_rate_window`, so parallel guesses each see a distinct count."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = PartnerTokenFailureWindow
    stmt = (
        insert(table)
        .values(client_key=client_key, address=address, window_start=window_start, attempts=1)
        .on_conflict_do_update(
            index_elements=[table.client_key, table.address, table.window_start],
            set_={"attempts": table.attempts + 1},
        )
        .returning(table.attempts)
    )
    return int(session.execute(stmt).scalar_one())


def refund_token_attempt(
    session: Session, *, client_key: str, address: str, window_start: int
) -> None:
    """Take back the count of a request whose secret turned out right."""
    table = PartnerTokenFailureWindow
    session.execute(
        update(table)
        .where(
            table.client_key == client_key,
            table.address == address,
            table.window_start == window_start,
            table.attempts > 0,
        )
        .values(attempts=table.attempts - 1)
    )


def purge_token_windows(session: Session, *, before: int) -> None:
    """Forget token-failure windows that ended (they can no longer matter)."""
    session.execute(
        delete(PartnerTokenFailureWindow).where(PartnerTokenFailureWindow.window_start < before)
    )
