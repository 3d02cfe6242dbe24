"""The obligation service's pure helpers: a case's regimes (implicit, history, closure) and
the exemptions the rules get from the stored starters periods."""

from __future__ import annotations

import datetime as dt
import uuid

from coaching.cases.models import Case
from coaching.obligations.models import ObligationExemption, ObligationRegimeRow
from coaching.obligations.rules import ExemptionReason, Regime
from coaching.obligations.service import closure_day, exemptions_for, regimes_for
from shared.events.common import ObligationRegime

D = dt.date(2026, 1, 5)


def _case(**fields: object) -> Case:
    values: dict[str, object] = {"status": "open", "first_ww_day": D, **fields}
    return Case(id=uuid.uuid4(), claim_id=uuid.uuid4(), **values)


def _row(
    regime: str, start: dt.date, end: dt.date | None, required: int | None = None
) -> ObligationRegimeRow:
    return ObligationRegimeRow(
        case_id=uuid.uuid4(), regime=regime, required=required, starts_on=start, ends_on=end
    )


def test_the_intake_regime_runs_from_the_first_ww_day() -> None:
    assert regimes_for(_case(obligation_regime="regular"), []) == [
        Regime(ObligationRegime.REGULAR, D)
    ]
    assert regimes_for(_case(obligation_regime=None), []) == []
    assert regimes_for(_case(obligation_regime="regular", first_ww_day=None), []) == []


def test_an_individual_regime_needs_its_count() -> None:
    assert regimes_for(_case(obligation_regime="individual"), []) == []
    assert regimes_for(_case(obligation_regime="individual", obligation_required=0), []) == [
        Regime(ObligationRegime.INDIVIDUAL, D, 0)
    ]


def test_stored_history_wins_and_closure_ends_it() -> None:
    later = D + dt.timedelta(days=40)
    rows = [_row("regular", D, later - dt.timedelta(days=1)), _row("individual", later, None, 2)]
    case = _case(obligation_regime="none")
    assert regimes_for(case, rows) == [
        Regime(ObligationRegime.REGULAR, D, None, later - dt.timedelta(days=1)),
        Regime(ObligationRegime.INDIVIDUAL, later, 2),
    ]
    closed = _case(status="closed", closed_on=D + dt.timedelta(days=20))
    assert closure_day(closed) == D + dt.timedelta(days=20)
    assert regimes_for(closed, rows) == [
        Regime(ObligationRegime.REGULAR, D, None, D + dt.timedelta(days=20))
    ]
    at = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # 2 March 00:30 in Amsterdam
    assert closure_day(_case(status="closed", closed_at=at)) == dt.date(2026, 3, 2)


def test_a_stop_cuts_the_exemption_and_one_before_the_start_removes_it() -> None:
    def row(start: int, end: int, stopped: int | None) -> ObligationExemption:
        return ObligationExemption(
            claim_id=uuid.uuid4(),
            application_id=uuid.uuid4(),
            reason="starters_start_period",
            starts_on=D + dt.timedelta(days=start),
            ends_on=D + dt.timedelta(days=end),
            stopped_on=None if stopped is None else D + dt.timedelta(days=stopped),
        )

    (kept, cut) = exemptions_for([row(0, 10, None), row(0, 10, 4), row(5, 10, 4)])
    assert (kept.start, kept.end, kept.reason) == (
        D,
        D + dt.timedelta(days=10),
        ExemptionReason.STARTERS_START_PERIOD,
    )
    assert cut.end == D + dt.timedelta(days=4)
    assert exemptions_for([row(0, 10, 20)])[0].end == D + dt.timedelta(days=10)
