"""Composition of one service: engine, unit of work, relay, consumer, verifier, BSN vault.

`create_app(settings)` of every service builds a ServiceContainer; the CLI builds the same
container to run the relay or the consumer as separate processes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from fastapi import APIRouter
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from shared.bsn import BsnVault
from shared.db.audit import guard_append_only
from shared.db.engine import build_engine, build_session_factory
from shared.db.migrate import upgrade
from shared.db.uow import UnitOfWork
from shared.events import REGISTRY
from shared.idempotency import IdempotencyKeyHasher
from shared.logging import get_logger
from shared.messaging.consumer import EventConsumer, Handler
from shared.messaging.embedded import EmbeddedBroker
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import MessagingTables
from shared.messaging.transport import Publisher
from shared.settings import ServiceSettings
from shared.web.access import CoachDirectory
from shared.web.auth import TokenVerifier, load_or_create_local_key
from shared.web.metrics import ServiceMetrics

log = get_logger(__name__)

# The settings class of one service: the spec and container are generic over it, so a service
# reads its own settings fields without narrowing (issue 16).
S = TypeVar("S", bound=ServiceSettings)


@dataclass(frozen=True)
class ServiceSpec(Generic[S]):
    """What distinguishes one service from another."""

    name: str
    settings_cls: type[S]
    tables: MessagingTables
    routers: list[APIRouter]
    handlers: dict[str, Handler] | Callable[[S], dict[str, Handler]]
    consumes_from: list[str]
    migrations_dir: Path
    title: str
    description: str
    extra_init: Callable[[ServiceContainer[S]], None] | None = None
    # Need to know (ADR 0022): how this service knows a coach token's subject (None: it has
    # no coaches), and the route templates that return or change no claimant's personal data
    # (reference data, aggregates, admin jobs), where the staff identity checks do not apply.
    coach_directory: CoachDirectory | None = None
    no_personal_data: frozenset[str] = frozenset()
    openapi_tags: list[dict[str, str]] = field(default_factory=list)
    # Background loops of a running service (e.g. intake's message sender): each runs in its
    # own thread until the stop event is set. Started by the runners, never by tests that
    # build a container.
    workers: tuple[Callable[[ServiceContainer[S], threading.Event], None], ...] = ()


class ServiceContainer(Generic[S]):
    """Holds the long-lived objects of one service; built once per process."""

    def __init__(
        self, spec: ServiceSpec[S], settings: S, *, broker: EmbeddedBroker | None = None
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.name = spec.name
        assert settings.database_url is not None
        self.engine: Engine = build_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        self.session_factory = build_session_factory(self.engine)
        guard_append_only(Session, spec.tables.audit)
        self.metrics = ServiceMetrics(spec.name)
        self.verifier = self._build_verifier()
        self.broker = broker
        self.publisher: Publisher = self._build_publisher()
        self.relay = OutboxRelay(
            name=spec.name,
            engine=self.engine,
            session_factory=self.session_factory,
            outbox_model=spec.tables.outbox,
            publisher=self.publisher,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            metrics=self.metrics,
        )
        self.consumer = EventConsumer(
            name=spec.name,
            uow_factory=self.uow,
            processed_model=spec.tables.processed,
            registry=REGISTRY,
            handlers=spec.handlers(settings) if callable(spec.handlers) else spec.handlers,
            dead_letters=self._build_dead_letters(),
            max_attempts=settings.consumer_max_attempts,
            backoff_initial_s=settings.consumer_backoff_initial_s,
            backoff_max_s=settings.consumer_backoff_max_s,
            metrics=self.metrics,
        )
        self.metrics.gauge(
            "ww_outbox_pending_events", "Unpublished outbox rows (outbox lag)", self.relay.pending
        )
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.state: dict[str, Any] = {}
        if spec.extra_init is not None:
            spec.extra_init(self)

    @functools.cached_property
    def bsn(self) -> BsnVault:
        """The BSN vault, built on first use (only services that handle BSNs need keys)."""
        s = self.settings
        return BsnVault.from_settings(
            encryption_key_b64=s.bsn_encryption_key.get_secret_value()
            if s.bsn_encryption_key
            else None,
            hash_key_b64=s.bsn_hash_key.get_secret_value() if s.bsn_hash_key else None,
            dev_key_dir=s.state_dir,
        )

    @functools.cached_property
    def idempotency_keys(self) -> IdempotencyKeyHasher:
        """Hashes Idempotency-Key values before they are stored or looked up (ADR 0025)."""
        secret = self.settings.idempotency_key_secret
        return IdempotencyKeyHasher.from_settings(
            secret_b64=secret.get_secret_value() if secret else None,
            dev_key_dir=self.settings.state_dir,
        )

    @property
    def subscribed_topics(self) -> list[str]:
        """Topics this service consumes."""
        return [self.settings.topic_for(s) for s in self.spec.consumes_from]

    def _build_verifier(self) -> TokenVerifier:
        s = self.settings
        if s.auth_mode == "jwks":
            return TokenVerifier(
                issuer=s.auth_issuer,
                audience=s.auth_audience,
                jwks_url=s.auth_jwks_url,
                leeway_s=s.auth_leeway_s,
            )
        assert s.auth_local_key_file is not None
        key = load_or_create_local_key(s.auth_local_key_file)
        return TokenVerifier(
            issuer=s.auth_issuer,
            audience=s.auth_audience,
            public_key=key.public_key(),
            leeway_s=s.auth_leeway_s,
        )

    def _build_publisher(self) -> Publisher:
        if self.settings.transport == "kafka":
            from shared.messaging.kafka import KafkaPublisher

            return KafkaPublisher(
                bootstrap=self.settings.kafka_bootstrap, client_id=f"ww-{self.name}"
            )
        if self.broker is None:
            raise ValueError(
                "embedded transport needs an EmbeddedBroker (run all services in one process)"
            )
        return self.broker

    def _build_dead_letters(self) -> Any:
        if self.settings.transport == "kafka":
            from shared.messaging.kafka import KafkaDeadLetters, KafkaPublisher

            assert isinstance(self.publisher, KafkaPublisher)
            return KafkaDeadLetters(self.publisher)
        return self.broker

    def uow(self) -> UnitOfWork:
        """A new unit of work bound to this service's database and topic."""
        return UnitOfWork(
            self.session_factory,
            tables=self.spec.tables,
            topic=self.settings.topic,
            on_events_committed=self.relay.notify,
        )

    def migrate(self) -> None:
        """Bring the database schema to the latest migration."""
        assert self.settings.database_url is not None
        upgrade(self.settings.database_url, self.spec.migrations_dir, self.name)

    def check_database(self) -> None:
        """Raise unless the database answers."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def check_broker(self) -> None:
        """Raise unless the broker answers."""
        self.publisher.check()

    # Background workers -------------------------------------------------------------

    def subscribe_embedded(self) -> None:
        """Register this service's consumer with the in-process broker."""
        assert self.broker is not None
        self.broker.subscribe(self.subscribed_topics, self.consumer)

    def start_relay(self) -> None:
        """Run the outbox relay in a background thread."""
        self._spawn(f"{self.name}-relay", self.relay.run)

    def start_consumer(self) -> None:
        """Run the Kafka consumer loop in a background thread (embedded mode needs none)."""
        if self.settings.transport != "kafka":
            return
        from shared.messaging.kafka import KafkaConsumerLoop, ensure_topics

        ensure_topics(self.settings.kafka_bootstrap, [self.settings.topic, *self.subscribed_topics])
        assert self.settings.consumer_group is not None
        loop = KafkaConsumerLoop(
            consumer=self.consumer,
            bootstrap=self.settings.kafka_bootstrap,
            topics=self.subscribed_topics,
            group_id=self.settings.consumer_group,
        )
        self._spawn(f"{self.name}-consumer", loop.run)

    def start_workers(self) -> None:
        """Run the spec's background loops, each in a thread of its own."""
        for i, worker in enumerate(self.spec.workers):
            self._spawn(
                f"{self.name}-worker-{i}-{getattr(worker, '__name__', 'loop')}",
                lambda stop, w=worker: w(self, stop),  # type: ignore[misc]
            )

    def _spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=target, args=(self._stop,), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop workers (finishing the message in hand), then close broker and database."""
        self._stop.set()
        self.relay.notify()
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads.clear()
        if self.settings.transport == "kafka":
            self.publisher.close()
        self.engine.dispose()
