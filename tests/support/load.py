"""A steady stream of registrations over HTTP from several threads, recording every answer."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.clock import local_today
from shared.testdata import synthetic_bsn


@dataclass
class Answer:
    """One request's outcome: an HTTP answer, or the transport error that replaced it."""

    at: float
    status: int | None  # None: no HTTP answer (connection refused/reset, timeout)
    content_type: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class RegistrationLoad:
    """`workers` threads that POST /v1/claims back to back until stopped."""

    def __init__(self, url: str, token: str, *, workers: int = 6, seed: int = 1) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.workers = workers
        self.answers: list[Answer] = []
        self._rng = random.Random(seed)
        self._used: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._start = threading.Barrier(workers + 1)

    def _body(self) -> dict[str, Any]:
        with self._lock:
            while (bsn := synthetic_bsn(self._rng)) in self._used:
                pass
            self._used.add(bsn)
        return {
            "bsn": bsn,
            "given_name": "Load",
            "family_name": "Tester",
            "date_of_birth": "1985-03-14",
            "first_ww_day": local_today().isoformat(),
            "postcode": "1011 AB",
        }

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=15) as client:
            self._start.wait(timeout=30)
            while not self._stop.is_set():
                try:
                    r = client.post("/v1/claims", json=self._body())
                    try:
                        body = r.json()
                    except ValueError:
                        body = {"raw": r.text[:200]}
                    answer = Answer(
                        time.monotonic(), r.status_code, r.headers.get("content-type", ""), body
                    )
                except httpx.HTTPError as exc:
                    answer = Answer(time.monotonic(), None, error=type(exc).__name__)
                    time.sleep(0.05)  # the server is gone: do not spin
                with self._lock:
                    self.answers.append(answer)

    def start(self) -> RegistrationLoad:
        for i in range(self.workers):
            t = threading.Thread(target=self._run, name=f"load-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self._start.wait(timeout=30)  # every thread starts its first request together
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in self._threads), "a load thread did not stop"
        return list(self.answers)

    def count(self, status: int | None) -> int:
        with self._lock:
            return sum(1 for a in self.answers if a.status == status)

    def since(self, t0: float) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.at >= t0]

    def created_ids(self) -> set[str]:
        with self._lock:
            return {str(a.body["id"]) for a in self.answers if a.status == 201}
