"""Partial placements within limits (issue 13 item 8b), on PostgreSQL through the partner
API: the same partial placement again with a new key is 409, one agency reports at most
`partner_partial_placements_per_quarter` partial placements of one candidate per quarter
of the start date (409), all partial placements of a candidate together stay within
`partner_partial_hours_per_week_max` (422 naming `hours_per_week`), each refusal is
audited and writes nothing else, and the reward ledger cannot be inflated."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest

from coaching.settings import CoachingSettings
from shared.clock import local_today
from tests.support.coaching import Office, office

from .test_partner_placements_pg import PATH, _agency, _body, _candidate, _post, desk

pytestmark = pytest.mark.integration
__all__ = ["desk", "office"]


def _partial(ref: uuid.UUID, start: dt.date, hours: float, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"new_registration": False, **overrides}
    return _body(
        ref, resumption="partial", start_date=start.isoformat(), hours_per_week=hours, **fields
    )


def _ledger(o: Office, headers: dict[str, str]) -> dict[str, Any]:
    r = o.client.get("/partner/v1/rewards", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _counts(o: Office, claim: uuid.UUID) -> tuple[int, int, int, int]:
    """(placements, work resumptions, outbox placement events, job-search activities) of a claim."""
    ((p,),) = o.sql("SELECT count(*) FROM placements WHERE claim_id = :c", c=claim)
    ((w,),) = o.sql("SELECT count(*) FROM work_resumptions WHERE claim_id = :c", c=claim)
    ((e,),) = o.sql("SELECT count(*) FROM outbox WHERE event_type = 'placement.reported'")
    ((a,),) = o.sql("SELECT count(*) FROM job_search_activities WHERE claim_id = :c", c=claim)
    return int(p), int(w), int(e), int(a)


def _refusals(o: Office) -> list[tuple[str, str, str]]:
    rows = o.sql(
        "SELECT actor, reason, new_values->>'start_date' FROM audit_log "
        "WHERE action = 'placement.refused' ORDER BY id"
    )
    return [(str(a), str(r), str(d)) for a, r, d in rows]


def test_the_same_partial_placement_again_with_a_new_key_is_409_and_audited(
    desk: Office,
) -> None:
    agency = _agency(desk, "agency-repeat", "Uitzendbureau Repeat")
    claim, ref, _ = _candidate(desk, shown_to=("agency-repeat",))
    today = local_today()
    first = _post(desk, agency, _partial(ref, today, 16), key="k-1")
    assert first.status_code == 201, first.text
    # The same key replays (not a refusal) ...
    replay = _post(desk, agency, _partial(ref, today, 16), key="k-1")
    assert (replay.status_code, replay.headers.get("idempotent-replayed")) == (201, "true")
    before = _counts(desk, claim)
    # ... a new key for the same candidate and start date is a repeat, in any hours.
    for hours in (16, 8):
        again = _post(desk, agency, _partial(ref, today, hours))
        assert again.status_code == 409, again.text
        assert again.headers["content-type"].startswith("application/problem+json")
        assert again.json()["type"] == "urn:ww:problem:conflict"
    assert _counts(desk, claim) == before  # nothing half-written
    assert _refusals(desk) == [("agency-repeat", "duplicate", today.isoformat())] * 2
    line = _ledger(desk, agency)
    assert (line["placements"], line["partial"], line["claimants"]) == (1, 1, 1)


def test_one_agency_reports_at_most_the_limit_per_candidate_and_quarter(desk: Office) -> None:
    limit = CoachingSettings().partner_partial_placements_per_quarter
    assert limit == 2  # the documented default
    agency = _agency(desk, "agency-many", "Uitzendbureau Many")
    other = _agency(desk, "agency-other", "Uitzendbureau Other")
    claim, ref, _ = _candidate(desk, shown_to=("agency-many", "agency-other"))
    today = local_today()
    starts = [today - dt.timedelta(days=n) for n in range(limit + 3)]
    codes = [_post(desk, agency, _partial(ref, d, 4)).status_code for d in starts]
    # Days before the quarter count in the previous quarter: only the days of this one are
    # bounded together; allow for today being early in the quarter.
    q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    in_quarter = [c for c, d in zip(codes, starts, strict=True) if d >= q_start]
    assert in_quarter[:limit] == [201] * min(limit, len(in_quarter))
    assert set(in_quarter[limit:]) <= {409}
    refused = len(in_quarter[limit:])
    assert [r[1] for r in _refusals(desk)] == ["per_quarter_limit"] * refused
    # Another agency has its own count for the same candidate.
    assert _post(desk, other, _partial(ref, today, 4)).status_code == 201
    line = _ledger(desk, agency)
    assert line["partial"] == min(limit, len(in_quarter))
    ((placed,),) = desk.sql(
        "SELECT count(*) FROM placements WHERE claim_id = :c AND partner_client_id = 'agency-many' "
        "AND start_date >= :q",
        c=claim,
        q=q_start,
    )
    assert placed == min(limit, len(in_quarter))


def test_partial_hours_of_all_agencies_together_stay_within_a_working_week(
    desk: Office,
) -> None:
    a = _agency(desk, "agency-hours-a", "Uitzendbureau A")
    b = _agency(desk, "agency-hours-b", "Uitzendbureau B")
    claim, ref, _ = _candidate(desk, shown_to=("agency-hours-a", "agency-hours-b"))
    today = local_today()
    assert _post(desk, a, _partial(ref, today, 24)).status_code == 201
    too_many = _post(desk, b, _partial(ref, today, 17))  # 24 + 17 > 40
    assert too_many.status_code == 422, too_many.text
    assert [e["field"] for e in too_many.json()["errors"]] == ["hours_per_week"]
    assert _refusals(desk) == [("agency-hours-b", "hours_limit", today.isoformat())]
    assert _post(desk, b, _partial(ref, today, 16)).status_code == 201  # exactly 40
    # A full resumption is not bounded by the partial hours: it ends WW.
    full = _post(desk, a, _body(ref, resumption="full", hours_per_week=38))
    assert full.status_code == 201, full.text
    assert desk.case(claim).status == "closed"


def test_the_registration_with_an_agency_counts_once(desk: Office) -> None:
    agency = _agency(desk, "agency-reg", "Uitzendbureau Reg")
    claim, ref, _ = _candidate(desk, shown_to=("agency-reg",))
    today = local_today()
    one = _post(desk, agency, _partial(ref, today, 8, new_registration=True))
    two = _post(desk, agency, _partial(ref, today - dt.timedelta(days=1), 8, new_registration=True))
    assert one.status_code == 201, one.text
    assert one.json()["activity_counted"] is True
    if two.status_code == 201:  # unless yesterday was in the previous quarter's limit
        assert two.json()["activity_counted"] is False
    ((activities,),) = desk.sql(
        "SELECT count(*) FROM job_search_activities WHERE claim_id = :c", c=claim
    )
    assert activities == 1


def test_concurrent_partial_reports_respect_the_limit(desk: Office) -> None:
    """Ten different keys for one partial placement at once: one is recorded (the checks
    run under the case's row lock)."""
    agency = _agency(desk, "agency-race", "Uitzendbureau Race")
    claim, ref, _ = _candidate(desk, shown_to=("agency-race",))
    body = _partial(ref, local_today(), 8)
    barrier = threading.Barrier(10)
    codes: list[int] = []

    def report() -> None:
        barrier.wait()
        codes.append(
            desk.client.post(
                PATH, json=body, headers={**agency, "Idempotency-Key": str(uuid.uuid4())}
            ).status_code
        )

    threads = [threading.Thread(target=report) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * 9
    ((placed,),) = desk.sql("SELECT count(*) FROM placements WHERE claim_id = :c", c=claim)
    assert placed == 1
