"""Report rules without I/O: ISO weeks, groups, override rates, segment shares and drift.

Definitions (docs/api.md, triage section):
- **Override report** over a period of local days [from, to]: per office (or per coach),
  `scored_claims` = distinct claims with a score in the period; `overridden_claims` =
  distinct claims overridden in the period; `override_rate` = overridden / scored (null when
  nothing was scored). For a coach, the scored claims are those whose intake they hold;
  triage analysts' overrides are listed per analyst without a rate (they have no caseload).
- **Monitoring** per ISO week: each claim counts once per week, with its latest score of the
  week. Per group (age band, region = office, education) and overall: the segment
  distribution of those scores, the override rate (the share of them a person overrode
  afterwards, so recent weeks still move), the mean probability and the drift = mean
  probability - the same group's mean in the first week of the range (null if the group
  had no scores then).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from shared.isoweek import InvalidWeekError, IsoWeek, weeks_between

__all__ = ["InvalidWeekError", "IsoWeek"]

ALL = "all"
UNKNOWN = "unknown"
DIMENSIONS = ("age_band", "region", "education")


def week_range(first: IsoWeek, last: IsoWeek) -> list[IsoWeek]:
    """Every week from first to last, inclusive."""
    return weeks_between(first, last)


def age_band(age: int | None) -> str:
    """The model's age bands (under 27, 27-44, 45-54, 55 or older)."""
    if age is None:
        return UNKNOWN
    if age < 27:
        return "under 27"
    if age < 45:
        return "27-44"
    if age < 55:
        return "45-54"
    return "55 or older"


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when whole is 0."""
    return part / whole if whole else None


# Override report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredClaim:
    """A claim scored in the period."""

    claim_id: uuid.UUID
    office_code: str
    intake_coach_id: uuid.UUID | None


@dataclass(frozen=True)
class OverrideFact:
    """An override in the period."""

    claim_id: uuid.UUID
    office_code: str | None
    overridden_by: str
    role: str
    reason_category: str
    segment: str


@dataclass
class OverrideGroup:
    """Override figures of one office, coach or analyst."""

    key: str
    role: str | None
    scored_claims: int | None
    overrides: int = 0
    overridden_claims: int = 0
    to_personal: int = 0
    to_digital: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def override_rate(self) -> float | None:
        """overridden claims / scored claims."""
        return rate(self.overridden_claims, self.scored_claims) if self.scored_claims else None


def _fill(group: OverrideGroup, facts: Sequence[OverrideFact]) -> OverrideGroup:
    group.overrides = len(facts)
    group.overridden_claims = len({f.claim_id for f in facts})
    group.to_personal = sum(1 for f in facts if f.segment == "personal")
    group.to_digital = sum(1 for f in facts if f.segment == "digital")
    group.by_reason = dict(sorted(Counter(f.reason_category for f in facts).items()))
    return group


def override_groups(
    scored: Iterable[ScoredClaim], overrides: Iterable[OverrideFact], *, group_by: str
) -> tuple[list[OverrideGroup], OverrideGroup]:
    """Groups (per office, or per coach/analyst) and the total, in key order."""
    scored = list(scored)
    overrides = list(overrides)
    total = _fill(OverrideGroup(ALL, None, len({s.claim_id for s in scored})), overrides)
    groups: list[OverrideGroup] = []
    if group_by == "office":
        scored_by: dict[str, set[uuid.UUID]] = defaultdict(set)
        for s in scored:
            scored_by[s.office_code].add(s.claim_id)
        facts_by: dict[str, list[OverrideFact]] = defaultdict(list)
        for o in overrides:
            facts_by[o.office_code or UNKNOWN].append(o)
        for key in sorted(set(scored_by) | set(facts_by)):
            groups.append(
                _fill(OverrideGroup(key, None, len(scored_by.get(key, ()))), facts_by.get(key, []))
            )
        return groups, total
    caseload: dict[str, set[uuid.UUID]] = defaultdict(set)
    for s in scored:
        if s.intake_coach_id is not None:
            caseload[str(s.intake_coach_id)].add(s.claim_id)
    by_person: dict[tuple[str, str], list[OverrideFact]] = defaultdict(list)
    for o in overrides:
        by_person[(o.role, o.overridden_by)].append(o)
    keys = {("coach", c) for c in caseload} | set(by_person)
    for role, key in sorted(keys):
        scored_claims = len(caseload.get(key, ())) if role == "coach" else None
        groups.append(
            _fill(OverrideGroup(key, role, scored_claims), by_person.get((role, key), []))
        )
    return groups, total


# Monitoring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreFact:
    """A score with the attributes monitoring groups by."""

    claim_id: uuid.UUID
    scored_at: dt.datetime
    week: IsoWeek
    probability: float
    segment: str
    office_code: str
    age: int | None
    education_level: str | None


@dataclass
class MonitoringGroup:
    """One group's figures in one week."""

    dimension: str
    key: str
    claims: int
    personal: int
    digital: int
    overridden: int
    mean_probability: float | None
    drift: float | None = None

    @property
    def personal_share(self) -> float | None:
        """personal / claims."""
        return rate(self.personal, self.claims)

    @property
    def override_rate(self) -> float | None:
        """overridden / claims."""
        return rate(self.overridden, self.claims)


def group_key(fact: ScoreFact, dimension: str) -> str:
    """The group a score falls in for one dimension."""
    if dimension == "age_band":
        return age_band(fact.age)
    if dimension == "region":
        return fact.office_code
    if dimension == "education":
        return fact.education_level or UNKNOWN
    return ALL


def monitoring(
    weeks: Sequence[IsoWeek],
    scores: Iterable[ScoreFact],
    overrides: Iterable[tuple[uuid.UUID, dt.datetime]],
) -> dict[IsoWeek, list[MonitoringGroup]]:
    """Per week: the overall group, then each dimension's groups in key order (see module)."""
    latest: dict[tuple[IsoWeek, uuid.UUID], ScoreFact] = {}
    for s in scores:
        k = (s.week, s.claim_id)
        if k not in latest or s.scored_at > latest[k].scored_at:
            latest[k] = s
    override_times: dict[uuid.UUID, list[dt.datetime]] = defaultdict(list)
    for claim_id, at in overrides:
        override_times[claim_id].append(at)

    def overridden(s: ScoreFact) -> bool:
        return any(at >= s.scored_at for at in override_times.get(s.claim_id, ()))

    by_week: dict[IsoWeek, list[ScoreFact]] = defaultdict(list)
    for (week, _), s in latest.items():
        by_week[week].append(s)
    out: dict[IsoWeek, list[MonitoringGroup]] = {}
    baseline: dict[tuple[str, str], float] = {}
    for i, week in enumerate(weeks):
        facts = by_week.get(week, [])
        groups: list[MonitoringGroup] = []
        for dimension in (ALL, *DIMENSIONS):
            members: dict[str, list[ScoreFact]] = defaultdict(list)
            for s in facts:
                members[group_key(s, dimension)].append(s)
            if dimension == ALL and not members:
                members[ALL] = []
            for key in sorted(members):
                ms = members[key]
                mean = sum(s.probability for s in ms) / len(ms) if ms else None
                if i == 0 and mean is not None:
                    baseline[(dimension, key)] = mean
                base = baseline.get((dimension, key))
                groups.append(
                    MonitoringGroup(
                        dimension=dimension,
                        key=key,
                        claims=len(ms),
                        personal=sum(1 for s in ms if s.segment == "personal"),
                        digital=sum(1 for s in ms if s.segment == "digital"),
                        overridden=sum(1 for s in ms if overridden(s)),
                        mean_probability=mean,
                        drift=mean - base if mean is not None and base is not None else None,
                    )
                )
        out[week] = groups
    return out
