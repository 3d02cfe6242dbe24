"""Report rules: ISO weeks, age bands, override rates and monitoring (drift, dedupe, rates)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from triage.reports import rules
from triage.reports.rules import IsoWeek, OverrideFact, ScoredClaim, ScoreFact

W1, W2 = IsoWeek(2026, 47), IsoWeek(2026, 48)


def test_iso_weeks() -> None:
    assert IsoWeek.parse("2026-W48") == W2
    assert str(IsoWeek(2026, 1)) == "2026-W01"
    assert W2.monday == dt.date(2026, 11, 23)
    assert IsoWeek.of(dt.date(2027, 1, 1)) == IsoWeek(2026, 53)
    assert W2.plus(-1) == W1
    assert rules.week_range(IsoWeek(2026, 52), IsoWeek(2027, 2)) == [
        IsoWeek(2026, 52),
        IsoWeek(2026, 53),
        IsoWeek(2027, 1),
        IsoWeek(2027, 2),
    ]
    for bad in ("2026-48", "2025-W53", "1800-W01", "2026-W00"):
        with pytest.raises(rules.InvalidWeekError):
            IsoWeek.parse(bad)


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (None, "unknown"),
        (18, "under 27"),
        (26, "under 27"),
        (27, "27-44"),
        (44, "27-44"),
        (45, "45-54"),
        (54, "45-54"),
        (55, "55 or older"),
    ],
)
def test_age_bands_follow_the_model(age: int | None, band: str) -> None:
    assert rules.age_band(age) == band


def test_override_groups_per_office_and_person() -> None:
    c1, c2, c3 = (uuid.uuid4() for _ in range(3))
    coach = uuid.uuid4()
    scored = [
        ScoredClaim(c1, "AMS", coach),
        ScoredClaim(c2, "AMS", coach),
        ScoredClaim(c3, "RTD", None),
    ]
    overrides = [
        OverrideFact(c1, "AMS", str(coach), "coach", "health", "personal"),
        OverrideFact(c1, "AMS", str(coach), "coach", "other", "digital"),
        OverrideFact(c3, "RTD", "analyst", "triage_analyst", "language", "personal"),
    ]
    groups, total = rules.override_groups(scored, overrides, group_by="office")
    assert [
        (g.key, g.scored_claims, g.overrides, g.overridden_claims, g.override_rate) for g in groups
    ] == [
        ("AMS", 2, 2, 1, 0.5),
        ("RTD", 1, 1, 1, 1.0),
    ]
    assert (total.scored_claims, total.overridden_claims, total.override_rate) == (3, 2, 2 / 3)
    assert total.by_reason == {"health": 1, "language": 1, "other": 1}
    people, _ = rules.override_groups(scored, overrides, group_by="coach")
    assert [(g.role, g.key, g.scored_claims, g.override_rate) for g in people] == [
        ("coach", str(coach), 2, 0.5),
        ("triage_analyst", "analyst", None, None),
    ]


def _fact(
    claim: uuid.UUID,
    week: IsoWeek,
    p: float,
    *,
    day: int = 1,
    age: int = 30,
    office: str = "AMS",
    education: str | None = "bachelor",
) -> ScoreFact:
    at = dt.datetime.combine(week.monday + dt.timedelta(days=day), dt.time(12), tzinfo=dt.UTC)
    return ScoreFact(
        claim, at, week, p, "personal" if p <= 0.5 else "digital", office, age, education
    )


def test_monitoring_counts_each_claim_once_a_week_and_measures_drift() -> None:
    a, b, c = (uuid.uuid4() for _ in range(3))
    facts = [
        _fact(a, W1, 0.40),
        _fact(b, W1, 0.60, age=60, education=None),
        _fact(a, W2, 0.30, day=0),
        _fact(a, W2, 0.70, day=3),  # the latest of the week counts
        _fact(c, W2, 0.20, office="RTD"),
    ]
    overrides = [
        (c, dt.datetime.combine(W2.monday + dt.timedelta(days=5), dt.time(), tzinfo=dt.UTC)),
        (b, dt.datetime.combine(W1.monday, dt.time(), tzinfo=dt.UTC)),
    ]  # before b's score
    out = rules.monitoring([W1, W2], facts, overrides)
    first = {(g.dimension, g.key): g for g in out[W1]}
    second = {(g.dimension, g.key): g for g in out[W2]}
    assert first[("all", "all")].claims == 2
    assert first[("all", "all")].mean_probability == pytest.approx(0.5)
    assert first[("all", "all")].drift == 0
    assert first[("all", "all")].overridden == 0  # b's override came before its score
    assert first[("education", "unknown")].claims == 1
    assert second[("all", "all")].claims == 2
    assert second[("all", "all")].mean_probability == pytest.approx(0.45)
    assert second[("all", "all")].drift == pytest.approx(-0.05)
    assert second[("all", "all")].personal_share == 0.5
    assert second[("region", "RTD")].override_rate == 1.0
    assert second[("region", "RTD")].drift is None
    assert second[("age_band", "27-44")].drift == pytest.approx((0.70 + 0.20) / 2 - 0.40)
    assert ("age_band", "55 or older") not in second


def test_an_empty_week_still_has_the_overall_group() -> None:
    out = rules.monitoring([W1], [], [])
    (only,) = out[W1]
    assert (only.dimension, only.key, only.claims, only.mean_probability, only.override_rate) == (
        "all",
        "all",
        0,
        None,
        None,
    )
