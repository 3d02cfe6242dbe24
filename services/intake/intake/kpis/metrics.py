"""The week-one KPIs of the current and the previous ISO week as Prometheus gauges.

A custom collector on the service's own registry (`container.metrics.registry`, one per
service as in shared/web/metrics.py). The KPI queries run at scrape time, at most once per
`kpi_metrics_cache_seconds`; scrapes in between get the cached values. Labels: `office` (an
office code, or `national`) and `week` (`current` or `previous`, by the Europe/Amsterdam
date of the scrape). A ratio or median without data (nothing due, no intake held) has no
sample rather than NaN.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from intake.kpis import service
from intake.kpis.rules import WeekKpis
from intake.kpis.service import KpiReport
from intake.settings import IntakeSettings
from shared.db.types import utcnow
from shared.logging import get_logger
from shared.reference import load_offices
from shared.runtime import ServiceContainer

log = get_logger(__name__)

NATIONAL_LABEL = "national"
LABELS = ("office", "week")
STATE_KEY = "week_one_kpis"
"""Where `install` leaves the collector in `container.state` (tests adjust its clock)."""


@dataclass(frozen=True)
class _Gauge:
    name: str
    doc: str
    value: Callable[[WeekKpis], float | None]


GAUGES = (
    _Gauge(
        "ww_intake_week_one_registrations",
        "Claims registered in the ISO week",
        lambda k: k.registrations,
    ),
    _Gauge(
        "ww_intake_week_one_intakes_held",
        "Claims registered in the week with a held (completed) intake",
        lambda k: k.intakes_held,
    ),
    _Gauge(
        "ww_intake_week_one_pending",
        "Claims registered in the week, not held, deadline not yet past",
        lambda k: k.pending,
    ),
    _Gauge(
        "ww_intake_week_one_within_deadline_ratio",
        "Share of the week's due claims held within the intake deadline",
        lambda k: k.within_deadline_share,
    ),
    _Gauge(
        "ww_intake_week_one_median_working_days_to_intake",
        "Median working days from registration to the held intake",
        lambda k: k.median_working_days_to_intake,
    ),
    _Gauge(
        "ww_intake_week_one_no_show_ratio",
        "No-shows / (no-shows + completed) appointments of the week's claims",
        lambda k: k.no_show_rate,
    ),
    _Gauge(
        "ww_intake_week_one_capacity_shortfalls",
        "Capacity shortfalls detected in the week",
        lambda k: k.capacity_shortfalls,
    ),
)
COMPUTED_AT = "ww_intake_week_one_kpis_computed_timestamp_seconds"


class WeekOneCollector(Collector):
    """Computes the gauges on scrape, cached for `cache_seconds` (0: every scrape)."""

    def __init__(
        self,
        compute: Callable[[dt.datetime], KpiReport],
        *,
        cache_seconds: float,
        clock: Callable[[], dt.datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._compute = compute
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cached: list[Metric] | None = None
        self._cached_at = 0.0
        self.computations = 0

    def describe(self) -> Iterator[Metric]:
        """The metric names without values (so registering does not run the queries)."""
        for g in GAUGES:
            yield GaugeMetricFamily(g.name, g.doc, labels=LABELS)
        yield GaugeMetricFamily(COMPUTED_AT, "When the week-one KPI gauges were computed")

    def collect(self) -> Iterator[Metric]:
        """The cached gauges, recomputed when older than `cache_seconds`."""
        with self._lock:
            stale = self._monotonic() - self._cached_at >= self.cache_seconds
            if self._cached is None or stale:
                try:
                    now = self.clock()
                    self._cached = self._families(self._compute(now), now)
                    self._cached_at = self._monotonic()
                    self.computations += 1
                except Exception as exc:
                    # Keep serving the last values (their timestamp shows their age).
                    log.warning("kpi.metrics_failed", error_type=type(exc).__name__)
            cached = list(self._cached or [])
        yield from cached

    @staticmethod
    def _families(report: KpiReport, now: dt.datetime) -> list[Metric]:
        current, previous = report.weeks[-1], report.weeks[0]
        scopes = [(NATIONAL_LABEL, report.national), *report.offices.items()]
        families: list[Metric] = []
        for g in GAUGES:
            family = GaugeMetricFamily(g.name, g.doc, labels=LABELS)
            for office, by_week in scopes:
                for label, week in (("previous", previous), ("current", current)):
                    value = g.value(by_week[week])
                    if value is not None:
                        family.add_metric([office, label], float(value))
            families.append(family)
        families.append(
            GaugeMetricFamily(
                COMPUTED_AT, "When the week-one KPI gauges were computed", value=now.timestamp()
            )
        )
        return families


def install(container: ServiceContainer[IntakeSettings]) -> None:
    """Register the week-one collector on the container's registry (ServiceSpec.extra_init)."""
    settings = container.settings
    offices = load_offices()

    def compute(now: dt.datetime) -> KpiReport:
        with container.uow() as uow:
            return service.current_and_previous(
                uow=uow, offices=offices, settings=settings, now=now
            )

    collector = WeekOneCollector(compute, cache_seconds=settings.kpi_metrics_cache_seconds)
    container.metrics.registry.register(collector)
    container.state[STATE_KEY] = collector
