"""Prometheus metrics, one registry per service so four services can share a process."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class _CallbackGauge(Collector):
    def __init__(self, name: str, doc: str, fn: Callable[[], float]) -> None:
        self._name, self._doc, self._fn = name, doc, fn

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            value = float(self._fn())
        except Exception:
            value = float("nan")
        yield GaugeMetricFamily(self._name, self._doc, value=value)


class ServiceMetrics:
    """The metrics every service exposes at /metrics."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "ww_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "ww_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.relay_published = Counter(
            "ww_outbox_published_events",
            "Events published by the outbox relay",
            registry=self.registry,
        )
        self.consumed = Counter(
            "ww_consumed_events",
            "Messages handled by the consumer, by outcome",
            ["outcome"],
            registry=self.registry,
        )

    def gauge(self, name: str, doc: str, fn: Callable[[], float]) -> None:
        """Register a gauge computed at scrape time (e.g. outbox lag)."""
        self.registry.register(_CallbackGauge(name, doc, fn))
