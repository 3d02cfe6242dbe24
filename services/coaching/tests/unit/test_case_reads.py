"""The row-level rules of the case lists (`coaching.cases.reads`), without a database: who
gets which filter, who is refused, and that each list audits and commits its read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from coaching.cases import reads
from shared.db.uow import UnitOfWork
from shared.web.auth import Principal, Role
from shared.web.pagination import PageParams
from shared.web.problems import Forbidden

PAGE = PageParams(limit=10, offset=20)
COACH_ID = uuid.uuid4()


@dataclass
class FakeUow:
    """Records the audit rows and commits of a read (the session is never used: the
    queries are replaced)."""

    session: object = None
    audits: list[dict[str, Any]] = field(default_factory=list)
    commits: int = 0

    def audit(self, **row: Any) -> None:
        self.audits.append(row)

    def commit(self) -> None:
        self.commits += 1


@pytest.fixture
def queried(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The filters each list query got (the queries return no rows)."""
    calls: list[dict[str, Any]] = []

    def list_cases(_session: object, **kwargs: Any) -> tuple[list[object], int]:
        calls.append(kwargs)
        return [], 0

    def unassigned_cases(_uow: object, **kwargs: Any) -> tuple[list[object], int]:
        calls.append(kwargs)
        return [], 0

    monkeypatch.setattr(reads.repository, "list_cases", list_cases)
    monkeypatch.setattr(reads.assignment, "unassigned_cases", unassigned_cases)
    monkeypatch.setattr(reads, "to_reads", lambda _s, rows, _t: [])
    return calls


def _principal(role: str, *, subject: str = "someone", office: str | None = None) -> Principal:
    return Principal(subject=subject, kind="user", roles=frozenset({role}), office=office)


def _list(uow: FakeUow, principal: Principal, office_code: str | None = None) -> None:
    reads.list_cases(
        uow=cast(UnitOfWork, uow),
        principal=principal,
        page=PAGE,
        office_code=office_code,
        segment=None,
        status=None,
        assignment_status=None,
        no_show_flag=None,
        sort="-opened_at",
    )


def test_an_admin_lists_any_office_unnarrowed(queried: list[dict[str, Any]]) -> None:
    uow = FakeUow()
    _list(uow, _principal(Role.ADMIN), office_code="UTR")
    assert (queried[0]["office_code"], queried[0]["coach_id"]) == ("UTR", None)
    _list(uow, _principal(Role.ADMIN))
    assert (queried[1]["office_code"], queried[1]["coach_id"]) == (None, None)


def test_a_team_lead_is_narrowed_to_their_office(queried: list[dict[str, Any]]) -> None:
    lead = _principal(Role.TEAM_LEAD, office="AMS")
    _list(FakeUow(), lead)
    _list(FakeUow(), lead, office_code="AMS")
    assert [(c["office_code"], c["coach_id"]) for c in queried] == [("AMS", None)] * 2
    with pytest.raises(Forbidden, match="only their own office"):
        _list(FakeUow(), lead, office_code="UTR")
    with pytest.raises(Forbidden, match="must name an office"):
        _list(FakeUow(), _principal(Role.TEAM_LEAD))
    assert len(queried) == 2  # a refused list runs no query


def test_a_coach_lists_their_own_caseload(queried: list[dict[str, Any]]) -> None:
    _list(FakeUow(), _principal(Role.COACH, subject=str(COACH_ID)), office_code="UTR")
    assert (queried[0]["coach_id"], queried[0]["office_code"]) == (COACH_ID, "UTR")
    with pytest.raises(Forbidden, match="subject must be the coach id"):
        _list(FakeUow(), _principal(Role.COACH, subject="not-a-uuid"))


def test_a_list_audits_its_page_and_commits(queried: list[dict[str, Any]]) -> None:
    uow = FakeUow()
    _list(uow, _principal(Role.ADMIN))
    assert uow.commits == 1
    assert [(a["action"], a["resource_id"]) for a in uow.audits] == [("case.list", "page:20")]
    assert (queried[0]["limit"], queried[0]["offset"]) == (10, 20)


def test_the_unassigned_queue_is_a_team_leads_own_office(queried: list[dict[str, Any]]) -> None:
    uow = FakeUow()
    page = reads.unassigned_cases(
        uow=cast(UnitOfWork, uow),
        office_code="AMS",
        principal=_principal(Role.TEAM_LEAD, office="AMS"),
        page=PAGE,
    )
    assert (page.total, page.limit, page.offset) == (0, 10, 20)
    assert queried[0]["office_code"] == "AMS"
    assert [(a["action"], a["resource_id"]) for a in uow.audits] == [
        ("case.list_unassigned", "AMS:page:20")
    ]
    assert uow.commits == 1
    with pytest.raises(Forbidden, match="only their own office"):
        reads.unassigned_cases(
            uow=cast(UnitOfWork, FakeUow()),
            office_code="UTR",
            principal=_principal(Role.TEAM_LEAD, office="AMS"),
            page=PAGE,
        )
    admin = FakeUow()
    reads.unassigned_cases(
        uow=cast(UnitOfWork, admin), office_code="UTR", principal=_principal(Role.ADMIN), page=PAGE
    )
    assert (queried[-1]["office_code"], admin.commits) == ("UTR", 1)
