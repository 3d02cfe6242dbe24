"""Case assignment and redistribution, the pure part (no database, no I/O).

The service loads the roster with each coach's current load, calls these functions and
stores the decisions. Everything here is a function of its arguments; nothing reads a
clock or settings (the caller passes `today` and an `AssignmentPolicy` built from its
settings).

**Segment.** A digital-service case gets no coach: the decision is `DIGITAL` with a
check-in date for re-triage. The check-in is the first multiple of
`policy.digital_checkin_weeks` (13) weeks after the first WW day that falls strictly
after `today`: week 13 of the WW, or week 26, 39, ... when the case became digital later.
Without a first WW day it is `today` + 13 weeks. A mark that is not a working day (a
weekend or an Algemene termijnenwet holiday, `shared.reference.working_days`) moves to the
next working day: the check-in is a day someone can act on it. A personal-service case gets a coach or
goes to the team lead's unassigned queue.

**Who qualifies.** A coach qualifies for a case when all of these hold:

- the coach is active (the service passes a coach who is absent, ill or on leave as
  not active: they take no new cases);
- the coach's office is the case's office (codes compared exactly). A coach of another
  office never qualifies: the office is where the claimant is seen face to face and
  whose team lead oversees the case. A team lead may still transfer a case from the
  queue to another office's coach by hand;
- contract hours > 0 and the coach's load is below their maximum caseload,
  `floor(contract_hours * policy.max_cases_per_contract_hour)`. The load is the coach's
  own open cases plus the cases they are covering for an absent colleague (`covering`):
  the coach carries both. Taking the case would make the load at most the maximum, so no
  decision ever puts a coach above their maximum.

**Choice among qualifying coaches, in this order:**

1. *Continuity*: the coach who held the intake (`intake_coach_id`), when they qualify.
   If they do not (unknown to the roster, inactive, another office, at their maximum),
   the case goes on by the next rules and the decision says why (`continuity`).
   Continuity beats specialism and load: the claimant keeps the person they already met.
2. *Specialism*: the case's needs are over-55, under-27, its sector (the coach
   specialism `sector_<sector>`) and the starters scheme. They are ranked in
   `policy.specialism_priority` (default: over-55, under-27, sector, starters, the
   issue's order). Coaches are compared lexicographically on which needs they hold: a
   coach holding the first-ranked need beats any coach who does not, whatever else they
   hold; among those equal on it, the next need decides, and so on. A coach holding every
   need beats one holding fewer. So whenever some qualifying coach holds the case's
   top-ranked need, the chosen coach holds it. Specialisms the case does not need do not
   count.
3. *Load*: among coaches equal on specialism, the lowest relative load after taking the
   case, `(load + 1) / contract_hours`. Comparing the load *after* the case is what
   keeps the maximum relative load lowest (a 40-hour and a 16-hour coach both at 0:
   the 40-hour coach gets the case, 1/40 < 1/16).
4. *Tie-break*: the smallest coach id. Equal ratios are equal floats (IEEE division is
   correctly rounded and hours are exact binary numbers such as 32.5), so the result does
   not depend on the order of the roster.

Rules 1-3 are a priority order, not a weighting: continuity and specialism are honoured
even when the coach is more loaded than colleagues (up to the maximum). Balance across
the office is therefore as good as the office's staffing: the load rule balances the
cases that continuity and specialism leave free.

**No fit.** When no coach qualifies the decision is `UNASSIGNED` (the team lead's queue
of the case's office) with a reason: `no_active_coach_in_office` (no active coach with
contract hours in the office) or `all_coaches_at_maximum`.

**Batches (`assign_many`).** Cases are processed one at a time by the rules above, each
decision raising the chosen coach's load before the next case. The processing order is
canonical, so the result depends only on the set of cases, not on their order in the
input: first the cases with an intake coach (so that continuity is not lost to a coach
filled up by other cases of the same batch), then cases with more needs before fewer
(the most constrained first), then by claim id. The flexible cases come last and fill up
the least loaded coaches, which is what balances the office. Decisions are returned in
input order. Coaches are kept in heaps per office and per set of needed specialisms, so
a case costs a few heap operations rather than a scan of the office.

**Redistribution (`propose_redistribution`).** When a coach leaves or falls ill, only
their cases move (the least disruptive change: nobody else's caseload is touched). Each
case goes to a remaining coach by the same rules and batch order (continuity, when the
intake coach is among the remaining coaches, then specialism, then relative load),
never above a maximum; the segment is ignored (a case that has a coach keeps having
one). Cases that cannot be placed are listed as unassigned with the reason, for the team
lead's queue. The result is a proposal: the service applies it after confirmation.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from shared.events.common import Segment
from shared.reference.sectors import load_sectors
from shared.reference.working_days import WorkingDays

OVER_55 = "over_55"
UNDER_27 = "under_27"
STARTERS = "starters"
SECTOR_PREFIX = "sector_"
NEED_KINDS = ("over_55", "under_27", "sector", "starters")

# A float margin for the maximum caseload: 100 * 0.29 is 28.999999999999996, yet 29 cases.
_EPS = 1e-9


class Outcome(StrEnum):
    """What happened to a case."""

    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"  # to the team lead's queue of the case's office
    DIGITAL = "digital"  # digital service: no coach, a check-in date


class Rule(StrEnum):
    """Which rule decided (the `rule` of `case.assigned`)."""

    CONTINUITY = "continuity"
    SPECIALISM = "specialism"
    OFFICE_LOAD = "office_load"
    DIGITAL = "digital"
    NO_FIT = "no_fit"


class NoFitReason(StrEnum):
    """Why a personal-service case went to the team lead's queue."""

    NO_ACTIVE_COACH = "no_active_coach_in_office"
    ALL_AT_MAXIMUM = "all_coaches_at_maximum"


class ContinuityNote(StrEnum):
    """Why the intake coach did not get the case."""

    UNKNOWN = "intake_coach_unknown"
    INACTIVE = "intake_coach_inactive"
    OTHER_OFFICE = "intake_coach_other_office"
    AT_MAXIMUM = "intake_coach_at_maximum"


@dataclass(frozen=True)
class AssignmentPolicy:
    """The numbers of the rules; the service builds it from its settings.

    The handbook gives no caseload norm: 5 cases per contract hour (180 for 36 hours) is
    a project default, to be a setting of the service.
    """

    max_cases_per_contract_hour: float = 5.0
    digital_checkin_weeks: int = 13
    specialism_priority: tuple[str, ...] = NEED_KINDS

    def __post_init__(self) -> None:
        if not self.max_cases_per_contract_hour > 0:
            raise ValueError("max_cases_per_contract_hour must be > 0")
        if self.digital_checkin_weeks < 1:
            raise ValueError("digital_checkin_weeks must be >= 1")
        if sorted(self.specialism_priority) != sorted(NEED_KINDS):
            raise ValueError(f"specialism_priority must order exactly {NEED_KINDS}")

    def max_caseload(self, contract_hours: float) -> int:
        """The most cases a coach with these contract hours may carry."""
        if contract_hours <= 0:
            return 0
        return math.floor(contract_hours * self.max_cases_per_contract_hour + _EPS)


DEFAULT_POLICY = AssignmentPolicy()

# The statutory working days (no closures): pure, so the rules stay without I/O.
_WORKING_DAYS = WorkingDays()


@dataclass(frozen=True)
class CoachLoad:
    """A coach as assignment sees them: roster data and current load."""

    coach_id: uuid.UUID
    office: str
    specialisms: frozenset[str]
    contract_hours: float
    active: bool = True
    load: int = 0  # own open cases
    covering: int = 0  # open cases covered for an absent colleague (count towards the load)

    @property
    def effective_load(self) -> int:
        """The cases the coach carries: own plus covered."""
        return self.load + self.covering


@dataclass(frozen=True)
class CaseNeeds:
    """What assignment needs to know about a case."""

    claim_id: uuid.UUID
    office: str
    segment: Segment
    over_55: bool = False
    under_27: bool = False
    sector: str | None = None  # "care" or "sector_care"
    starters: bool = False
    intake_coach_id: uuid.UUID | None = None
    first_ww_day: dt.date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "segment", Segment(self.segment))  # accept "personal" too
        if self.over_55 and self.under_27:
            raise ValueError("a claimant cannot be both over 55 and under 27")

    def needs(self, policy: AssignmentPolicy = DEFAULT_POLICY) -> tuple[str, ...]:
        """The coach specialisms this case asks for, highest priority first."""
        by_kind = {
            "over_55": OVER_55 if self.over_55 else None,
            "under_27": UNDER_27 if self.under_27 else None,
            "sector": sector_specialism(self.sector),
            "starters": STARTERS if self.starters else None,
        }
        return tuple(s for kind in policy.specialism_priority if (s := by_kind[kind]))


def sector_specialism(sector: str | None) -> str | None:
    """The coach specialism for a sector: "healthcare" -> "sector_care"; "Care" -> "sector_care"."""
    if sector is None:
        return None
    known = load_sectors().get(sector)
    if known is not None:  # a code of shared/reference/sectors.json: "healthcare" -> "sector_care"
        return known.coach_specialism
    code = "_".join(sector.strip().lower().split())
    if not code:
        return None
    return code if code.startswith(SECTOR_PREFIX) else SECTOR_PREFIX + code


@dataclass(frozen=True)
class Decision:
    """The outcome for one case."""

    claim_id: uuid.UUID
    outcome: Outcome
    rule: Rule
    coach_id: uuid.UUID | None = None
    matched: tuple[str, ...] = ()  # the case's needs the coach holds, in priority order
    reason: NoFitReason | None = None  # set when UNASSIGNED
    continuity: ContinuityNote | None = None  # why the intake coach was passed over
    checkin_on: dt.date | None = None  # set when DIGITAL


@dataclass(frozen=True)
class BatchResult:
    """Decisions in input order, and every coach's own load afterwards."""

    decisions: tuple[Decision, ...]
    loads: dict[uuid.UUID, int] = field(default_factory=dict)

    @property
    def unassigned(self) -> tuple[Decision, ...]:
        """The decisions that go to the team lead's queue."""
        return tuple(d for d in self.decisions if d.outcome is Outcome.UNASSIGNED)


def digital_checkin(
    first_ww_day: dt.date | None, today: dt.date, policy: AssignmentPolicy = DEFAULT_POLICY
) -> dt.date:
    """The next re-triage date of a digital-service case (strictly after `today`), on a
    working day: the 13-week mark, or the first working day after it.

    The statutory working days only: intake's ad-hoc closures (an office closing) live in
    intake's database and are not known to coaching; a check-in on such a day is simply
    handled the next working day.
    """
    step = 7 * policy.digital_checkin_weeks
    if first_ww_day is None:
        return _WORKING_DAYS.on_or_after(today + dt.timedelta(days=step))
    k = max(1, (today - first_ww_day).days // step + 1)
    return _WORKING_DAYS.on_or_after(first_ww_day + dt.timedelta(days=k * step))


def _mask(needs: Sequence[str], specialisms: frozenset[str]) -> int:
    k = len(needs)
    return sum(1 << (k - 1 - j) for j, s in enumerate(needs) if s in specialisms)


def _qualifies(coach: CoachLoad, office: str, policy: AssignmentPolicy) -> bool:
    return (
        coach.active
        and coach.office == office
        and coach.effective_load < policy.max_caseload(coach.contract_hours)
    )


def _continuity_note(
    coach: CoachLoad | None, office: str, policy: AssignmentPolicy
) -> ContinuityNote | None:
    if coach is None:
        return ContinuityNote.UNKNOWN
    if not coach.active:
        return ContinuityNote.INACTIVE
    if coach.office != office:
        return ContinuityNote.OTHER_OFFICE
    if coach.effective_load >= policy.max_caseload(coach.contract_hours):
        return ContinuityNote.AT_MAXIMUM
    return None


def _check_unique(ids: Iterable[uuid.UUID], what: str) -> None:
    seen: set[uuid.UUID] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} {i}")
        seen.add(i)


def _digital(case: CaseNeeds, today: dt.date, policy: AssignmentPolicy) -> Decision:
    return Decision(
        claim_id=case.claim_id,
        outcome=Outcome.DIGITAL,
        rule=Rule.DIGITAL,
        checkin_on=digital_checkin(case.first_ww_day, today, policy),
    )


def _assigned(
    case: CaseNeeds,
    coach_id: uuid.UUID,
    needs: Sequence[str],
    specialisms: frozenset[str],
    note: ContinuityNote | None,
    continuity: bool,
) -> Decision:
    matched = tuple(s for s in needs if s in specialisms)
    rule = Rule.CONTINUITY if continuity else Rule.SPECIALISM if matched else Rule.OFFICE_LOAD
    return Decision(
        claim_id=case.claim_id,
        outcome=Outcome.ASSIGNED,
        rule=rule,
        coach_id=coach_id,
        matched=matched,
        continuity=note,
    )


def _no_fit(case: CaseNeeds, any_active: bool, note: ContinuityNote | None) -> Decision:
    return Decision(
        claim_id=case.claim_id,
        outcome=Outcome.UNASSIGNED,
        rule=Rule.NO_FIT,
        reason=NoFitReason.ALL_AT_MAXIMUM if any_active else NoFitReason.NO_ACTIVE_COACH,
        continuity=note,
    )


def assign(
    case: CaseNeeds,
    coaches: Sequence[CoachLoad],
    policy: AssignmentPolicy = DEFAULT_POLICY,
    *,
    today: dt.date,
) -> Decision:
    """Decide one case against the roster (a scan of the roster: the reference rules)."""
    if case.segment is Segment.DIGITAL:
        return _digital(case, today, policy)
    return _assign_personal(case, coaches, policy)


def _assign_personal(
    case: CaseNeeds, coaches: Sequence[CoachLoad], policy: AssignmentPolicy
) -> Decision:
    _check_unique((c.coach_id for c in coaches), "coach")
    needs = case.needs(policy)
    note: ContinuityNote | None = None
    if case.intake_coach_id is not None:
        intake = next((c for c in coaches if c.coach_id == case.intake_coach_id), None)
        note = _continuity_note(intake, case.office, policy)
        if intake is not None and note is None:
            return _assigned(case, intake.coach_id, needs, intake.specialisms, None, True)
    best: tuple[int, float, int] | None = None
    chosen: CoachLoad | None = None
    for c in coaches:
        if not _qualifies(c, case.office, policy):
            continue
        key = (
            -_mask(needs, c.specialisms),
            (c.effective_load + 1) / c.contract_hours,
            c.coach_id.int,
        )
        if best is None or key < best:
            best, chosen = key, c
    if chosen is None:
        any_active = any(
            c.active and c.office == case.office and c.contract_hours > 0 for c in coaches
        )
        return _no_fit(case, any_active, note)
    return _assigned(case, chosen.coach_id, needs, chosen.specialisms, note, False)


def batch_order_key(
    case: CaseNeeds, policy: AssignmentPolicy = DEFAULT_POLICY
) -> tuple[int, int, int]:
    """The canonical processing order of a batch: continuity, most needs, claim id."""
    return _order_key(case, case.needs(policy))


def _order_key(case: CaseNeeds, needs: Sequence[str]) -> tuple[int, int, int]:
    # UUIDs order like their integers; comparing ints avoids uuid's Python-level __lt__.
    return (0 if case.intake_coach_id is not None else 1, -len(needs), case.claim_id.int)


_Entry = tuple[float, int, int, int]  # (load + 1) / hours, coach id as int, version, index


class _Index:
    """Coaches of each office in heaps keyed by the specialisms they must hold.

    The heap for (office, S) holds every coach of the office who holds all of S and is
    below their maximum, keyed by ((load + 1) / hours, coach id). Entries go stale when a
    coach's load changes (a version counter); stale tops are dropped when peeked.
    Heaps are built on first use, so only the need combinations that occur cost anything.
    """

    def __init__(self, coaches: Sequence[CoachLoad], policy: AssignmentPolicy) -> None:
        _check_unique((c.coach_id for c in coaches), "coach")
        self.coaches = list(coaches)
        self.pos = {c.coach_id: i for i, c in enumerate(self.coaches)}
        self.load = [c.effective_load for c in self.coaches]
        self.own = [c.load for c in self.coaches]
        self.max = [policy.max_caseload(c.contract_hours) for c in self.coaches]
        self.version = [0] * len(self.coaches)
        self.member_of: list[list[list[_Entry]]] = [[] for _ in self.coaches]
        self.office: dict[str, list[int]] = {}
        for i, c in enumerate(self.coaches):
            if c.active and c.contract_hours > 0:
                self.office.setdefault(c.office, []).append(i)
        self.heaps: dict[tuple[str, frozenset[str]], list[_Entry]] = {}
        self.subsets: dict[tuple[str, ...], list[frozenset[str]]] = {}

    def _entry(self, i: int) -> _Entry:
        c = self.coaches[i]
        return ((self.load[i] + 1) / c.contract_hours, c.coach_id.int, self.version[i], i)

    def _heap(self, office: str, required: frozenset[str]) -> list[_Entry]:
        heap = self.heaps.get((office, required))
        if heap is None:
            heap = []
            for i in self.office.get(office, ()):
                if self.load[i] < self.max[i] and required <= self.coaches[i].specialisms:
                    heap.append(self._entry(i))
                    self.member_of[i].append(heap)
            heapq.heapify(heap)
            self.heaps[(office, required)] = heap
        return heap

    def best(self, office: str, required: frozenset[str]) -> int | None:
        heap = self._heap(office, required)
        while heap:
            _, _, version, i = heap[0]
            if version == self.version[i]:
                return i
            heapq.heappop(heap)
        return None

    def take(self, i: int) -> None:
        self.load[i] += 1
        self.own[i] += 1
        self.version[i] += 1
        if self.load[i] < self.max[i]:
            entry = self._entry(i)
            for heap in self.member_of[i]:
                heapq.heappush(heap, entry)

    def current(self, i: int) -> CoachLoad:
        c = self.coaches[i]
        return CoachLoad(
            c.coach_id, c.office, c.specialisms, c.contract_hours, c.active, self.own[i], c.covering
        )

    def _subsets(self, needs: tuple[str, ...]) -> list[frozenset[str]]:
        # Subsets of the needs in decreasing lexicographic order (bit masks counted down).
        subsets = self.subsets.get(needs)
        if subsets is None:
            k = len(needs)
            subsets = [
                frozenset(needs[b] for b in range(k) if mask & (1 << (k - 1 - b)))
                for mask in range((1 << k) - 1, -1, -1)
            ]
            self.subsets[needs] = subsets
        return subsets

    def decide(self, case: CaseNeeds, needs: tuple[str, ...], policy: AssignmentPolicy) -> Decision:
        note: ContinuityNote | None = None
        if case.intake_coach_id is not None:
            j = self.pos.get(case.intake_coach_id)
            note = _continuity_note(None if j is None else self.current(j), case.office, policy)
            if j is not None and note is None:
                self.take(j)
                c = self.coaches[j]
                return _assigned(case, c.coach_id, needs, c.specialisms, None, True)
        for required in self._subsets(needs):
            i = self.best(case.office, required)
            if i is not None:
                self.take(i)
                c = self.coaches[i]
                return _assigned(case, c.coach_id, needs, c.specialisms, note, False)
        return _no_fit(case, bool(self.office.get(case.office)), note)


def _run(
    cases: Sequence[CaseNeeds],
    coaches: Sequence[CoachLoad],
    policy: AssignmentPolicy,
    today: dt.date | None,
) -> BatchResult:
    _check_unique((c.claim_id for c in cases), "claim")
    index = _Index(coaches, policy)
    decisions: list[Decision | None] = [None] * len(cases)
    memo: dict[tuple[bool, bool, str | None, bool], tuple[str, ...]] = {}
    needs = []
    for case in cases:
        key = (case.over_55, case.under_27, case.sector, case.starters)
        if key not in memo:
            memo[key] = case.needs(policy)
        needs.append(memo[key])
    order = sorted(range(len(cases)), key=lambda n: _order_key(cases[n], needs[n]))
    for n in order:
        case = cases[n]
        if today is not None and case.segment is Segment.DIGITAL:
            decisions[n] = _digital(case, today, policy)
        else:
            decisions[n] = index.decide(case, needs[n], policy)
    loads = {c.coach_id: index.own[i] for i, c in enumerate(index.coaches)}
    return BatchResult(tuple(d for d in decisions if d is not None), loads)


def assign_many(
    cases: Sequence[CaseNeeds],
    coaches: Sequence[CoachLoad],
    policy: AssignmentPolicy = DEFAULT_POLICY,
    *,
    today: dt.date,
) -> BatchResult:
    """Decide a batch of cases, raising loads as it goes (canonical order, see module)."""
    return _run(cases, coaches, policy, today)


def propose_redistribution(
    cases: Sequence[CaseNeeds],
    remaining_coaches: Sequence[CoachLoad],
    policy: AssignmentPolicy = DEFAULT_POLICY,
    *,
    leaving_coach_id: uuid.UUID | None = None,
) -> BatchResult:
    """Propose a new coach for each case of a leaving coach; the rest are unplaceable.

    The leaving coach is excluded even if passed among the remaining coaches, and the
    segment is ignored: every case gets a coach when one qualifies.
    """
    remaining = [c for c in remaining_coaches if c.coach_id != leaving_coach_id]
    return _run(cases, remaining, policy, None)
