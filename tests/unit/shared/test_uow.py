"""Unit of work: nothing persists without commit, events only with their change, audit is append-only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coaching.coaches.models import Coach
from coaching.db import AuditLog, OutboxMessage
from shared.db.audit import Actor, AuditImmutableError
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.events.coaching import CoachRegistered
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from tests.support.system import container as build_container

ACTOR = Actor(subject="tl-1", kind="user", roles=("team_lead",))


@pytest.fixture
def coaching(state_dir: Path) -> Iterator[ServiceContainer]:
    c = build_container(
        "coaching", state_dir=state_dir, transport="embedded", broker=EmbeddedBroker()
    )
    c.migrate()
    yield c
    c.stop()


def _coach(name: str = "Anouk") -> Coach:
    return Coach(
        id=uuid.uuid4(),
        display_name=name,
        office_code="AMS",
        specialisms=[],
        contract_hours=32.0,
        holds_intakes=True,
        active=True,
        created_at=utcnow(),
        updated_at=utcnow(),
    )


def _registered(coach: Coach) -> CoachRegistered:
    return CoachRegistered(
        coach_id=coach.id,
        display_name=coach.display_name,
        office_code=coach.office_code,
        specialisms=[],
        contract_hours=coach.contract_hours,
        holds_intakes=True,
    )


def _count(c: ServiceContainer, model: type) -> int:
    with c.session_factory() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_leaving_without_commit_rolls_back(coaching: ServiceContainer) -> None:
    with coaching.uow() as uow:
        uow.session.add(_coach())
        uow.session.flush()  # the row exists inside the transaction ...
        assert uow.session.execute(select(func.count()).select_from(Coach)).scalar_one() == 1
    assert _count(coaching, Coach) == 0  # ... and is gone without commit


def _fail_halfway(c: ServiceContainer) -> None:
    with c.uow() as uow:
        uow.session.add(_coach())
        uow.publish(_registered(_coach()))
        uow.session.flush()
        raise RuntimeError("boom")


def test_exception_inside_rolls_back(coaching: ServiceContainer) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _fail_halfway(coaching)
    assert _count(coaching, Coach) == 0
    assert _count(coaching, OutboxMessage) == 0


def test_commit_persists_state_and_outbox_together(coaching: ServiceContainer) -> None:
    coach = _coach()
    with coaching.uow() as uow:
        uow.session.add(coach)
        event = uow.publish(_registered(coach))
        uow.commit()
    assert _count(coaching, Coach) == 1
    with coaching.session_factory() as s:
        rows = s.scalars(select(OutboxMessage)).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.event_id == event.id
    assert row.event_type == "coach.registered"
    assert row.topic == "ww.coaching"
    assert row.message_key == str(coach.id)
    assert row.published_at is None
    assert row.attempts == 0
    assert str(coach.id) in row.body


def test_outbox_row_only_with_commit(coaching: ServiceContainer) -> None:
    coach = _coach()
    with coaching.uow() as uow:
        uow.session.add(coach)
        uow.publish(_registered(coach))
        assert len(uow.events) == 1
    assert _count(coaching, OutboxMessage) == 0
    assert _count(coaching, Coach) == 0


def test_explicit_rollback_discards_queued_events(coaching: ServiceContainer) -> None:
    notified: list[bool] = []
    coach = _coach()
    uow = UnitOfWork(
        coaching.session_factory,
        tables=coaching.spec.tables,
        topic="ww.coaching",
        on_events_committed=lambda: notified.append(True),
    )
    with uow:
        uow.publish(_registered(coach))
        uow.rollback()
        assert uow.events == []
        uow.session.add(coach)
        uow.commit()
    assert _count(coaching, Coach) == 1
    assert _count(coaching, OutboxMessage) == 0
    assert notified == []  # no events were committed, so the relay is not woken


def test_commit_with_events_wakes_the_relay(coaching: ServiceContainer) -> None:
    notified: list[bool] = []
    coach = _coach()
    uow = UnitOfWork(
        coaching.session_factory,
        tables=coaching.spec.tables,
        topic="ww.coaching",
        on_events_committed=lambda: notified.append(True),
    )
    with uow:
        uow.session.add(coach)
        uow.publish(_registered(coach))
        assert notified == []  # not before the commit
        uow.commit()
    assert notified == [True]


def test_audit_row_written_only_with_commit(coaching: ServiceContainer) -> None:
    with coaching.uow() as uow:
        uow.audit(actor=ACTOR, action="coach.create", resource_type="coach", resource_id="x")
    assert _count(coaching, AuditLog) == 0
    with coaching.uow() as uow:
        uow.audit(
            actor=ACTOR,
            action="coach.update",
            resource_type="coach",
            resource_id="c-1",
            reason="typo",
            old={"display_name": "Anuk"},
            new={"display_name": "Anouk"},
        )
        uow.commit()
    with coaching.session_factory() as s:
        row = s.scalars(select(AuditLog)).one()
    assert (row.actor, row.actor_kind, row.actor_roles) == ("tl-1", "user", ["team_lead"])
    assert (row.action, row.resource_type, row.resource_id) == ("coach.update", "coach", "c-1")
    assert row.old_values == {"display_name": "Anuk"}
    assert row.new_values == {"display_name": "Anouk"}
    assert row.reason == "typo"
    assert row.occurred_at.tzinfo is not None


def _one_audit_row(c: ServiceContainer) -> uuid.UUID:
    resource_id = uuid.uuid4().hex[:12]
    with c.uow() as uow:
        uow.audit(actor=ACTOR, action="case.read", resource_type="case", resource_id=resource_id)
        uow.commit()
    with c.session_factory() as s:
        return s.scalars(select(AuditLog.id).where(AuditLog.resource_id == resource_id)).one()


def test_updating_an_audit_row_raises(coaching: ServiceContainer) -> None:
    audit_id = _one_audit_row(coaching)
    with coaching.uow() as uow:
        row = uow.session.get(AuditLog, audit_id)
        assert row is not None
        row.reason = "rewritten history"
        with pytest.raises(AuditImmutableError):
            uow.commit()
    with coaching.session_factory() as s:
        assert s.get(AuditLog, audit_id).reason is None  # type: ignore[union-attr]


def test_deleting_an_audit_row_raises(coaching: ServiceContainer) -> None:
    audit_id = _one_audit_row(coaching)
    with coaching.uow() as uow:
        row = uow.session.get(AuditLog, audit_id)
        uow.session.delete(row)
        with pytest.raises(AuditImmutableError):
            uow.session.flush()
    assert _count(coaching, AuditLog) == 1


def test_appending_more_audit_rows_is_allowed(coaching: ServiceContainer) -> None:
    _one_audit_row(coaching)
    _one_audit_row(coaching)
    assert _count(coaching, AuditLog) == 2
