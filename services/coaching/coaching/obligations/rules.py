"""Job-search obligation (sollicitatieplicht), the pure part: no database, no I/O.

**Regimes** (the 2024 experiment, Stb. 2024, 130; each claimant has one):

- `regular`: `policy.regular_required` activities (4) per period;
- `none`: no obligation and no enforcement; every period is `no_obligation`;
- `individual`: the count agreed with the claimant (`Regime.required`, >= 0) per period.

**Periods.** A regime runs from its start date: the first WW day for the regime a claim
starts with, or the day a new regime takes effect (a change of regime starts a new
`Regime` whose periods count from its own start). Period k (k = 0, 1, ...) covers the
`policy.period_days` (28) calendar days from `start + 28k` up to and including
`start + 28k + 27`; the next period starts the day after. Both `Period.start` and
`Period.end` are inclusive, as in `obligation.evaluated`. A period is *closed* once its
last day has passed, i.e. `period.end < today`; until then it is `open` and is not
evaluated (the claimant may still report activities on the last day). A regime with an
`end` (case closed, regime changed) has no periods starting after its end, and a period
that the end cuts short is never due: the obligation stopped before the period was over.
The "1 activity before WW starts" rule is not a period and is not covered here.

**Activities that count** (the handbook's list): an application, a job interview, an
assessment, a *new* registration with a temp agency, a UWV workshop, and posting a CV
(sources disagree; counts today, `policy.cv_posting_counts`, default true). An activity
counts in the period that contains its date.

- *Duplicates*: reports of the same kind on the same day with the same employer count
  once. The employer (for a registration: the agency; for a workshop: its organiser) is
  compared case-insensitively with runs of whitespace collapsed; a missing employer is
  the empty string, so two such reports of one kind on one day count once.
- *New temp-agency registration*: only the claimant's first reported registration with
  a given agency counts (the earliest by date, over all the activities passed in, not just
  this period's); a later registration with the same agency is not new and counts for
  nothing. So the caller passes the claimant's whole activity history of the claim.

**Exemptions.** While the starters scheme's research period or start period runs, there
is no obligation. An exemption covers its days from `start` to `end`, both inclusive;
overlapping exemptions are merged. A period with exempt days is assessed *pro rata*:
with d obligated days (days of the period not exempt) the requirement is
`floor(required * d / period_days)`. For the regular regime that is one activity per full
week without exemption (`floor(4 * d / 28) = floor(d / 7)`): a period exempt for 10 days
needs 2 activities, one exempt for 22 days or more needs none. When exemptions bring the
requirement to 0 the period is `exempt`. Activities reported on exempt days still count
(they are job-search activities all the same). Rounding down gives the claimant the
benefit of the partial week; the alternative "any exempt day exempts the whole period"
would free up to 27 days, and "no exemption unless the whole period is exempt" would ask
4 activities of someone who was obligated for 2 days.

**Result** of a period, in this order: `no_obligation` for the `none` regime; `open`
while the period has not ended (with what has been counted so far); `exempt` when the
pro-rata requirement is 0 because of exemptions; `compliant` when the counted activities
reach the requirement (an individual agreement of 0 is always compliant); otherwise
`not_compliant` (the service publishes `obligation.missed` and gives the coach a task).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from shared.events.common import ObligationRegime

_DAY = dt.timedelta(days=1)


class ActivityKind(StrEnum):
    """Job-search activities a claimant can report (the handbook's list)."""

    APPLICATION = "application"
    INTERVIEW = "interview"
    ASSESSMENT = "assessment"
    TEMP_AGENCY_REGISTRATION = "temp_agency_registration"
    UWV_WORKSHOP = "uwv_workshop"
    CV_POSTING = "cv_posting"


class PeriodStatus(StrEnum):
    """The outcome of a period."""

    COMPLIANT = "compliant"
    NOT_COMPLIANT = "not_compliant"
    EXEMPT = "exempt"
    OPEN = "open"
    NO_OBLIGATION = "no_obligation"


class ExemptionReason(StrEnum):
    """Why a claimant has no job-search obligation for a while."""

    STARTERS_RESEARCH_PERIOD = "starters_research_period"
    STARTERS_START_PERIOD = "starters_start_period"


@dataclass(frozen=True)
class ObligationPolicy:
    """The numbers of the rules; the service builds it from its settings."""

    regular_required: int = 4
    period_days: int = 28
    cv_posting_counts: bool = True

    def __post_init__(self) -> None:
        if self.regular_required < 0:
            raise ValueError("regular_required must be >= 0")
        if self.period_days < 1:
            raise ValueError("period_days must be >= 1")


DEFAULT_POLICY = ObligationPolicy()


@dataclass(frozen=True)
class Regime:
    """A claimant's regime from `start` (and until `end`, inclusive, when known)."""

    kind: ObligationRegime
    start: dt.date
    required: int | None = None  # the agreed count of an individual agreement
    end: dt.date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ObligationRegime(self.kind))  # accept "regular" too
        if self.kind is ObligationRegime.INDIVIDUAL:
            if self.required is None or self.required < 0:
                raise ValueError("an individual agreement needs a required count >= 0")
        elif self.required is not None:
            raise ValueError("only an individual agreement carries its own required count")
        if self.end is not None and self.end < self.start:
            raise ValueError("a regime cannot end before it starts")

    def required_per_period(self, policy: ObligationPolicy = DEFAULT_POLICY) -> int:
        """Activities required in a period without exemptions."""
        if self.kind is ObligationRegime.REGULAR:
            return policy.regular_required
        if self.kind is ObligationRegime.INDIVIDUAL:
            assert self.required is not None
            return self.required
        return 0


@dataclass(frozen=True)
class Activity:
    """One activity reported by the claimant."""

    kind: ActivityKind
    on: dt.date
    employer: str | None = None  # employer, temp agency or workshop organiser

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ActivityKind(self.kind))  # accept "application" too


@dataclass(frozen=True)
class Exemption:
    """Days without obligation, `start` to `end` inclusive."""

    start: dt.date
    end: dt.date
    reason: ExemptionReason = ExemptionReason.STARTERS_RESEARCH_PERIOD

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("an exemption cannot end before it starts")


@dataclass(frozen=True, order=True)
class Period:
    """Period `index` of a regime: `start` to `end`, both inclusive."""

    index: int
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class PeriodResult:
    """The evaluation of one period."""

    period: Period
    status: PeriodStatus
    counted: int
    required: int  # after pro-rata for exemptions
    exempt_days: int
    counted_activities: tuple[Activity, ...] = ()

    @property
    def missed(self) -> bool:
        """True when the coach must follow up (obligation.missed)."""
        return self.status is PeriodStatus.NOT_COMPLIANT


def period_at(start: dt.date, index: int, policy: ObligationPolicy = DEFAULT_POLICY) -> Period:
    """Period `index` (0-based) of a regime starting on `start`."""
    if index < 0:
        raise ValueError("index must be >= 0")
    first = start + dt.timedelta(days=index * policy.period_days)
    return Period(index, first, first + dt.timedelta(days=policy.period_days - 1))


def period_containing(
    start: dt.date, day: dt.date, policy: ObligationPolicy = DEFAULT_POLICY
) -> Period:
    """The period of a regime starting on `start` that contains `day` (not before start)."""
    if day < start:
        raise ValueError("the day is before the regime's start")
    return period_at(start, (day - start).days // policy.period_days, policy)


def periods_due(
    start: dt.date,
    today: dt.date,
    *,
    end: dt.date | None = None,
    policy: ObligationPolicy = DEFAULT_POLICY,
) -> list[Period]:
    """The closed periods to evaluate (last day before `today`), oldest first.

    With a regime end, only periods that end on or before it are due.
    """
    limit = today - _DAY if end is None else min(today - _DAY, end)
    if limit < start:
        return []
    full = ((limit - start).days + 1) // policy.period_days
    return [period_at(start, k, policy) for k in range(full)]


def _norm_employer(employer: str | None) -> str:
    return " ".join((employer or "").split()).casefold()


def counting_activities(
    activities: Iterable[Activity],
    period: Period,
    policy: ObligationPolicy = DEFAULT_POLICY,
) -> tuple[Activity, ...]:
    """The activities that count in the period, one per duplicate group, by date."""
    reported = tuple(activities)
    first_registration: dict[str, dt.date] = {}
    for a in reported:
        if a.kind is ActivityKind.TEMP_AGENCY_REGISTRATION:
            agency = _norm_employer(a.employer)
            if agency not in first_registration or a.on < first_registration[agency]:
                first_registration[agency] = a.on
    seen: set[tuple[ActivityKind, dt.date, str]] = set()
    counted: list[Activity] = []
    # Sorted on every field, so the one kept of a duplicate group does not depend on order.
    for a in sorted(
        reported, key=lambda a: (a.on, a.kind, _norm_employer(a.employer), a.employer or "")
    ):
        if not period.start <= a.on <= period.end:
            continue
        if a.kind is ActivityKind.CV_POSTING and not policy.cv_posting_counts:
            continue
        employer = _norm_employer(a.employer)
        if a.kind is ActivityKind.TEMP_AGENCY_REGISTRATION and first_registration[employer] != a.on:
            continue
        key = (a.kind, a.on, employer)
        if key in seen:
            continue
        seen.add(key)
        counted.append(a)
    return tuple(counted)


def exempt_days(exemptions: Iterable[Exemption], first: dt.date, last: dt.date) -> int:
    """Days from `first` to `last` (inclusive) covered by at least one exemption."""
    spans = sorted(
        (max(e.start, first), min(e.end, last))
        for e in exemptions
        if e.start <= last and e.end >= first
    )
    days = 0
    cur_start: dt.date | None = None
    cur_end = first
    for s, e in spans:
        if cur_start is None or s > cur_end + _DAY:
            if cur_start is not None:
                days += (cur_end - cur_start).days + 1
            cur_start, cur_end = s, e
        elif e > cur_end:
            cur_end = e
    if cur_start is not None:
        days += (cur_end - cur_start).days + 1
    return days


def _check_period(regime: Regime, period: Period, policy: ObligationPolicy) -> None:
    if period != period_at(regime.start, period.index, policy):
        raise ValueError("the period is not one of this regime's periods")


def evaluate(
    regime: Regime,
    activities: Sequence[Activity],
    exemptions: Sequence[Exemption],
    period: Period,
    *,
    today: dt.date,
    policy: ObligationPolicy = DEFAULT_POLICY,
) -> PeriodResult:
    """Evaluate one period of the regime (see the module for the rules)."""
    _check_period(regime, period, policy)
    exempt = exempt_days(exemptions, period.start, period.end)
    if regime.kind is ObligationRegime.NONE:
        return PeriodResult(period, PeriodStatus.NO_OBLIGATION, 0, 0, exempt)
    counted = counting_activities(activities, period, policy)
    base = regime.required_per_period(policy)
    required = base * (policy.period_days - exempt) // policy.period_days
    if period.end >= today:
        status = PeriodStatus.OPEN
    elif required == 0 and base > 0:
        status = PeriodStatus.EXEMPT
    elif len(counted) >= required:
        status = PeriodStatus.COMPLIANT
    else:
        status = PeriodStatus.NOT_COMPLIANT
    return PeriodResult(period, status, len(counted), required, exempt, counted)


def evaluate_due(
    regime: Regime,
    activities: Sequence[Activity],
    exemptions: Sequence[Exemption],
    *,
    today: dt.date,
    policy: ObligationPolicy = DEFAULT_POLICY,
) -> list[PeriodResult]:
    """Evaluate every closed period of the regime, oldest first."""
    return [
        evaluate(regime, activities, exemptions, p, today=today, policy=policy)
        for p in periods_due(regime.start, today, end=regime.end, policy=policy)
    ]
