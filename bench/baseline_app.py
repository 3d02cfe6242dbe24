"""Baseline for registration throughput: a bare FastAPI + SQLAlchemy insert endpoint.

One POST that validates a small pydantic body and inserts one row, nothing else: no
authentication, no middleware, no audit row, no outbox, no BSN encryption, no logging.
It runs on uvicorn with exactly the settings `ww serve` uses (`ww.runner._uvicorn_config`,
one worker, same event loop and HTTP parser) and an engine with the services' pool
settings (`shared.db.engine.build_engine`), so the difference to the intake service is
the work the service does per request.

    python -m bench.baseline_app --database-url URL --schema S --port P
"""

from __future__ import annotations

import argparse
import datetime as dt
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Date, DateTime, MetaData, String, Uuid
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, mapped_column

from shared.db.engine import build_engine, build_session_factory
from shared.settings import ServiceSettings
from ww.runner import _uvicorn_config


class ClaimIn(BaseModel):
    """A small body of the same shape as a claim registration."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bsn: str = Field(pattern=r"^\d{9}$")
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    first_ww_day: dt.date
    postcode: str = Field(max_length=8)
    date_of_birth: dt.date | None = None


class ClaimOut(BaseModel):
    """The created row's id."""

    id: uuid.UUID


def claims_model(schema: str) -> type[DeclarativeBase]:
    """The one mapped table of the baseline, in its own schema."""

    class Base(DeclarativeBase):
        metadata = MetaData(schema=schema)

    # No Mapped[] annotations: they would be resolved against the module's globals, which
    # differ when the module runs as __main__ (python -m, cProfile).
    class Claim(Base):
        __tablename__ = "claims"

        id = mapped_column(Uuid, primary_key=True)
        bsn = mapped_column(String(9), nullable=False)
        given_name = mapped_column(String(100), nullable=False)
        family_name = mapped_column(String(100), nullable=False)
        first_ww_day = mapped_column(Date, nullable=False)
        postcode = mapped_column(String(8), nullable=False)
        date_of_birth = mapped_column(Date)
        created_at = mapped_column(DateTime(timezone=True), nullable=False)

    return Claim


def create_app(engine: Engine, schema: str) -> FastAPI:
    """The baseline app; creates its table in the given schema."""
    model: type[Any] = claims_model(schema)
    model.metadata.create_all(engine)
    sessions = build_session_factory(engine)
    app = FastAPI(title="bench baseline", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # A sync endpoint like the intake service's: FastAPI runs it in the same thread pool,
    # and an ORM session from the same session factory settings.
    @app.post("/v1/claims", status_code=status.HTTP_201_CREATED, response_model=ClaimOut)
    def create_claim(body: ClaimIn) -> ClaimOut:
        row = model(
            id=uuid.uuid4(),
            bsn=body.bsn,
            given_name=body.given_name,
            family_name=body.family_name,
            first_ww_day=body.first_ww_day,
            postcode=body.postcode,
            date_of_birth=body.date_of_birth,
            created_at=dt.datetime.now(dt.UTC),
        )
        with sessions() as session:
            session.add(row)
            session.commit()
        return ClaimOut(id=row.id)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    defaults = ServiceSettings()
    engine = build_engine(
        args.database_url, pool_size=defaults.db_pool_size, max_overflow=defaults.db_max_overflow
    )
    app = create_app(engine, args.schema)
    config = _uvicorn_config(app, ServiceSettings(host=args.host, port=args.port))
    try:
        uvicorn.Server(config).run()
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
