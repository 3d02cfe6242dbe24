"""Figure 1c: triage scoring, in-process, through the API, and in batch.

All inputs are synthetic claimants from `triage.fitting.synth` (realistic, correlated
answers and ages; generated once per run from the run's seed) scored with the shipped
default model. Three figures, each against a baseline measured in the same run:

* **In-process, one claimant** (`in_process`): the latency of `model.score` +
  `model.hindering` (what the API computes per claimant: score, contributions, the top
  three hindering factors) per call, after a warm-up, against a plain NumPy dot product
  of the same model on the same claimant's pre-encoded design row (`model.design_row` ·
  `model.coefficient_vector` + intercept, sigmoid, segment threshold). The calls are
  interleaved in rounds (service, baseline, service, baseline) and timed one by one
  with `perf_counter_ns`; GC stays on. A plain-Python dot product and NumPy including the
  encoding (`design_row` per call) are reported alongside.
* **Through the API** (`api`): `PUT /v1/claims/{claim_id}/questionnaire` on
  `ww serve triage` (a database cloned from the migrated template), which validates the
  answers, stores them, scores the claim with the active model, stores the score, queues
  `triage.scored` and audits, in one transaction. Each request is a different claim;
  the claims are created beforehand through the service's own consumer path
  (`EventConsumer.process_batch` with `claim.registered` events, 200 per batch like a
  Kafka poll), so each claim starts as intake's event leaves it: registered, with a
  provisional score. The closed loop, client, connections, request counts and segments
  are the registration phase's; the baseline is the registration phase's bare-insert
  app of the same run (measured here, interleaved, only when that phase did not run).
* **Batch** (`batch`): the service's batch scorer (`triage.batch.vectorised.score_many`,
  what `ww triage score-all` runs per chunk; chunks of the service's `batch_chunk_size`)
  over N claimants in memory, no database, against a plain NumPy implementation of the
  same model: the design matrix built once with `model.design_row` (timed separately),
  then `1 / (1 + exp(-(X @ b + a)))` and the segment threshold (median of repeats, BLAS
  held to one thread like the service's one Python thread). Both sides' probabilities are
  compared (max abs difference, segment mismatches, claimants exactly at the threshold).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import operator
import random
import statistics
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bench.booking import _reference_baseline
from bench.common import claim_bodies, run_loadgen
from bench.cpu import CpuWindow, settle
from bench.infra import BenchError, BenchRun
from bench.registration import closed_args, combine, healthy, segment_plan, start_baseline
from bench.stats import percentile, ratio
from tests.support.system import Proc, free_port, service_env
from tests.support.tokens import Tokens

if TYPE_CHECKING:
    from triage.scoring.model import ModelFile

BENCH_SUBJECT = "bench-analyst"
Row = tuple[dict[str, Any], int | None]  # (answers, age), as the batch scorer takes them
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TriageConfig:
    """Sizes of the triage phase."""

    calls: int = 20_000  # in-process single-claimant calls per side (timed)
    call_warmup: int = 1_000
    batch: int = 100_000  # claimants scored in memory per side
    batch_pure_python: int = 10_000  # the service's pure-Python batch path (a detail)
    numpy_repeats: int = 15
    requests: int = 2000
    warmup: int = 200
    concurrency: int = 16
    segments: int = 2
    client: str = "stdlib"
    settle_s: float = 10.0
    time_limit_s: float = 150.0


# Synthetic claimants ------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimant:
    """One synthetic claimant: questionnaire answers (complete, valid), age, office."""

    answers: dict[str, Any]
    age: int
    office_code: str


def synthetic(n: int, seed: int) -> list[Claimant]:
    """n claimants from `triage.fitting.synth` (outcome and region dropped)."""
    from triage.scoring import questionnaire as q
    from triage_fitting import synth
    from triage_fitting.data import AGE, OFFICE, OUTCOME, REGION

    drop = {AGE, OFFICE, OUTCOME, REGION}
    out: list[Claimant] = []
    for row in synth.generate(n, seed=seed):
        answers = {k: v for k, v in row.items() if k not in drop and v is not None}
        out.append(Claimant(answers, int(row[AGE]), str(row[OFFICE])))  # type: ignore[call-overload]
    errors = q.validate(q.CURRENT_VERSION, out[0].answers)
    if errors:
        raise BenchError(f"synthetic answers do not validate: {errors[:3]}")
    return out


def summary_us(ns: Sequence[int]) -> dict[str, float]:
    """p50/p95/p99/max/mean of durations in nanoseconds, in microseconds."""
    if not ns:
        return {"n": 0}
    us = [x / 1000 for x in ns]
    return {
        "n": len(us),
        "p50": round(percentile(us, 50), 2),
        "p95": round(percentile(us, 95), 2),
        "p99": round(percentile(us, 99), 2),
        "max": round(max(us), 2),
        "mean": round(sum(us) / len(us), 2),
    }


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# 1. In-process, one claimant ----------------------------------------------------------------


def _timed(fn: Callable[[int], object], indices: Sequence[int]) -> list[int]:
    """Time fn(i) for each i, one call at a time (nanoseconds)."""
    clock = time.perf_counter_ns
    out = [0] * len(indices)
    for k, i in enumerate(indices):
        t = clock()
        fn(i)
        out[k] = clock() - t
    return out


def in_process(model: ModelFile, people: list[Claimant], cfg: TriageConfig) -> dict[str, Any]:
    """model.score + model.hindering per call vs a NumPy dot product on the design row."""
    from triage.scoring import model as core

    n = min(cfg.calls, len(people))
    intercept = model.intercept
    threshold = model.thresholds.personal_at_or_below
    coef_list = core.coefficient_vector(model)
    coef = np.asarray(coef_list, dtype=float)
    rows = [core.design_row(model, p.answers, age=p.age) for p in people[:n]]
    rows_np = [np.asarray(r, dtype=float) for r in rows]
    mul = operator.mul

    def service(i: int) -> object:
        p = people[i]
        scored = core.score(model, p.answers, age=p.age)
        return scored, core.hindering(model, scored)

    def numpy_dot(i: int) -> object:
        prob = _sigmoid(intercept + float(np.dot(rows_np[i], coef)))
        return prob, prob <= threshold

    def python_dot(i: int) -> object:
        prob = _sigmoid(intercept + math.fsum(map(mul, rows[i], coef_list)))
        return prob, prob <= threshold

    def encode_numpy(i: int) -> object:
        p = people[i]
        row = np.asarray(core.design_row(model, p.answers, age=p.age), dtype=float)
        prob = _sigmoid(intercept + float(np.dot(row, coef)))
        return prob, prob <= threshold

    sides: dict[str, Callable[[int], object]] = {
        "service": service,
        "numpy": numpy_dot,
        "python": python_dot,
        "numpy_with_encoding": encode_numpy,
    }
    warm = list(range(min(cfg.call_warmup, n)))
    for fn in sides.values():
        _timed(fn, warm)
    rounds = max(1, cfg.segments)
    timings: dict[str, list[int]] = {k: [] for k in sides}
    quiet: list[dict[str, float | None]] = []
    per_round = math.ceil(n / rounds)
    for r in range(rounds):
        chunk = list(range(r * per_round, min(n, (r + 1) * per_round)))
        quiet.append(settle(max_wait_s=cfg.settle_s))
        for name, fn in sides.items():
            timings[name].extend(_timed(fn, chunk))
    # The same claimants give the same probabilities on both sides.
    diff = max(
        abs(
            core.score(model, people[i].answers, age=people[i].age).probability
            - _sigmoid(intercept + float(np.dot(rows_np[i], coef)))
        )
        for i in range(0, n, max(1, n // 5000))
    )
    out: dict[str, Any] = {
        "calls": n,
        "warmup": len(warm),
        "rounds": rounds,
        "design_columns": len(coef_list),
        "features": len(model.features),
        "latency_us": {k: summary_us(v) for k, v in timings.items()},
        "max_abs_diff_probability": diff,
        "before": quiet[0],
        "rounds_before": quiet,
    }
    s, b = out["latency_us"]["service"], out["latency_us"]["numpy"]
    for q in ("p50", "p99", "mean"):
        out[f"ratio_{q}"] = ratio(s.get(q), b.get(q))
    return out


@contextlib.contextmanager
def one_blas_thread() -> Iterator[str]:
    """Hold NumPy's BLAS to one thread (the service's batch scorer is one Python thread).

    threadpoolctl comes with scikit-learn (the fitting dependency); without it the BLAS
    default applies and the result says so.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield "BLAS default (threadpoolctl not installed)"
        return
    with threadpool_limits(limits=1):
        yield "1 (threadpoolctl)"


# 3. Batch ------------------------------------------------------------------------------------


def batch(model: ModelFile, people: list[Claimant], cfg: TriageConfig) -> dict[str, Any]:
    """The service's batch scorer in chunks vs NumPy on a pre-built design matrix."""
    from triage.batch import vectorised
    from triage.scoring import model as core
    from triage.settings import TriageSettings

    n = min(cfg.batch, len(people))
    rows: list[Row] = [(p.answers, p.age) for p in people[:n]]
    chunk = int(TriageSettings.model_fields["batch_chunk_size"].default)
    path = "numpy" if vectorised.numpy_available() else "pure python"

    def service_pass(subset: list[Row], vectorise: bool | None) -> tuple[list[float], list[float]]:
        """Seconds inside score_many per chunk, and every probability."""
        probs: list[float] = []
        spent: list[float] = []
        for lo in range(0, len(subset), chunk):
            part = subset[lo : lo + chunk]
            t = time.perf_counter()
            computed = vectorised.score_many(model, part, vectorised=vectorise)
            spent.append(time.perf_counter() - t)
            probs.extend(c.probability for c in computed)
            del computed
        return spent, probs

    # Warm-up of both (imports, caches), then the figures.
    service_pass(rows[: 2 * chunk], None)
    quiet = settle(max_wait_s=cfg.settle_s)
    cpu = CpuWindow({})
    cpu.start()
    service_chunks, service_p = service_pass(rows, None)
    service_cpu = cpu.stop()
    service_s = sum(service_chunks)

    quiet_numpy = settle(max_wait_s=cfg.settle_s)
    t = time.perf_counter()
    design = np.asarray(
        [core.design_row(model, a, age=age) for a, age in rows], dtype=float
    ).reshape(n, -1)
    encode_s = time.perf_counter() - t
    b = np.asarray(core.coefficient_vector(model), dtype=float)
    a = model.intercept
    threshold = model.thresholds.personal_at_or_below

    def numpy_pass() -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        p: FloatArray = 1.0 / (1.0 + np.exp(-(design @ b + a)))
        return p, p <= threshold

    times: list[float] = []
    with one_blas_thread() as blas:
        p_np, personal_np = numpy_pass()  # warm-up
        for _ in range(max(1, cfg.numpy_repeats)):
            t = time.perf_counter()
            p_np, personal_np = numpy_pass()
            times.append(time.perf_counter() - t)
    numpy_s = statistics.median(times)

    # The vectorised decision path (probabilities and segments, no explanations), from the
    # raw answers: encoding included, against NumPy including its own encoding.
    quiet_vec = settle(max_wait_s=cfg.settle_s)
    vec_times: list[float] = []
    for _ in range(3):
        t = time.perf_counter()
        p_vec, personal_vec = vectorised.probabilities_many(model, rows)
        vec_times.append(time.perf_counter() - t)
    vec_s = statistics.median(vec_times)
    vec_rate = n / vec_s if vec_s > 0 else 0.0

    got = np.asarray(service_p, dtype=float)
    if got.shape != p_np.shape:
        raise BenchError(f"service scored {got.shape[0]} of {n} claimants")
    diff = float(np.max(np.abs(got - p_np)))
    mismatch = (got <= threshold) != personal_np
    # Claimants exactly at the threshold (logit 0 up to an ulp): there the segment depends
    # on the summation order (the core's fsum vs NumPy's matmul), nowhere else.
    at_threshold = np.abs(got - threshold) <= 1e-12

    # The service's pure-Python path (vectorised=False) on the first m claimants, against
    # the NumPy path's time on the same chunks.
    m = min(cfg.batch_pure_python, n)
    pure_s = sum(service_pass(rows[:m], False)[0]) if m else 0.0
    same_s = sum(service_chunks[: math.ceil(m / chunk)])

    service_rate = n / service_s if service_s > 0 else 0.0
    numpy_rate = n / numpy_s if numpy_s > 0 else 0.0
    with_encoding_rate = n / (encode_s + numpy_s) if encode_s + numpy_s > 0 else 0.0
    out: dict[str, Any] = {
        "claimants": n,
        "chunk_size": chunk,
        "service": {
            "function": "triage.batch.vectorised.score_many",
            "path": path,
            "seconds": round(service_s, 3),
            "claimants_per_s": service_rate,
            "us_per_claimant": round(1e6 * service_s / n, 2),
            "cpu": service_cpu,
        },
        "service_pure_python": {
            "claimants": m,
            "seconds": round(pure_s, 3),
            "claimants_per_s": m / pure_s if pure_s > 0 else None,
            "us_per_claimant": round(1e6 * pure_s / m, 2) if m else None,
            "numpy_path_claimants_per_s_same_claimants": m / same_s if same_s > 0 else None,
            "numpy_path_speedup_over_pure": ratio(pure_s, same_s),
        },
        "numpy": {
            "seconds_median": numpy_s,
            "seconds_min": min(times),
            "repeats": len(times),
            "claimants_per_s": numpy_rate,
            "ns_per_claimant": round(1e9 * numpy_s / n, 2),
            "blas_threads": blas,
        },
        "numpy_encoding": {
            "seconds": round(encode_s, 3),
            "claimants_per_s": n / encode_s if encode_s > 0 else None,
            "us_per_claimant": round(1e6 * encode_s / n, 2),
            "design_columns": int(design.shape[1]),
        },
        "numpy_with_encoding_claimants_per_s": with_encoding_rate,
        "vectorised_probabilities": {
            "function": "triage.batch.vectorised.probabilities_many",
            "seconds_median": round(vec_s, 4),
            "claimants_per_s": vec_rate,
            "ratio_to_numpy_with_encoding": ratio(vec_rate, with_encoding_rate),
            "ratio_to_numpy": ratio(vec_rate, numpy_rate),
            "max_abs_diff_probability": float(np.max(np.abs(np.asarray(p_vec) - p_np))),
            "segment_mismatches_vs_service": int(
                np.count_nonzero(np.asarray(personal_vec) != (got <= threshold))
            ),
            "before": quiet_vec,
        },
        "ratio": ratio(service_rate, numpy_rate),
        "ratio_to_numpy_with_encoding": ratio(service_rate, with_encoding_rate),
        "max_abs_diff_probability": diff,
        "segment_mismatches": int(np.count_nonzero(mismatch)),
        "segment_mismatches_off_threshold": int(np.count_nonzero(mismatch & ~at_threshold)),
        "at_threshold": int(np.count_nonzero(at_threshold)),
        "personal_share": round(float(np.mean(personal_np)), 4),
        "before": quiet,
        "before_numpy": quiet_numpy,
    }
    return out


# 2. Through the API --------------------------------------------------------------------------


def create_claims(
    run: BenchRun, url: str, people: Sequence[Claimant]
) -> tuple[list[uuid.UUID], dict[str, Any]]:
    """Register the claims through triage's own consumer path: claim.registered events.

    The events go through `EventConsumer.process_batch` of a triage container built in
    this process (inbox row, `claims.record_registration`, provisional score, its
    `triage.scored` outbox row), 200 per transaction like a Kafka poll. No API, no broker.
    """
    from shared.events.common import RegistrationChannel
    from shared.events.envelope import Event
    from shared.events.intake import ClaimRegistered
    from shared.messaging.consumer import Outcome
    from shared.messaging.embedded import EmbeddedBroker
    from shared.messaging.transport import IncomingMessage
    from shared.runtime import ServiceContainer
    from triage.main import SPEC
    from triage.settings import TriageSettings

    settings = TriageSettings(
        database_url=url,
        state_dir=run.state_dir,
        transport="embedded",
    )
    t0 = time.monotonic()
    container = ServiceContainer(SPEC, settings, broker=EmbeddedBroker())
    ids: list[uuid.UUID] = []
    outcomes: dict[str, int] = {}
    try:
        topic = settings.topic_for("intake")
        today = dt.date.today()
        now = dt.datetime.now(dt.UTC)
        messages: list[IncomingMessage] = []
        for i, p in enumerate(people):
            claim_id = uuid.uuid4()
            ids.append(claim_id)
            a = p.answers
            event = Event.create(
                ClaimRegistered(
                    claim_id=claim_id,
                    office_code=p.office_code,
                    first_ww_day=today,
                    registered_at=now,
                    channel=RegistrationChannel.STAFF,
                    age_at_first_ww_day=p.age,
                    years_work_history=a.get("years_work_history"),
                    education_level=a.get("education_level"),
                    sector=a.get("last_sector"),
                    hours_lost_per_week=a.get("hours_per_week"),
                )
            )
            messages.append(
                IncomingMessage(topic, 0, i, str(claim_id).encode(), event.to_json_bytes())
            )
        for lo in range(0, len(messages), 200):
            for o in container.consumer.process_batch(messages[lo : lo + 200]):
                outcomes[str(o)] = outcomes.get(str(o), 0) + 1
    finally:
        container.stop()
    if outcomes.get(str(Outcome.PROCESSED), 0) != len(people):
        raise BenchError(f"claim.registered for {len(people)} claims: {outcomes}")
    return ids, {
        "claims": len(ids),
        "outcomes": outcomes,
        "seconds": round(time.monotonic() - t0, 1),
    }


def api(
    run: BenchRun,
    model: ModelFile,
    people: list[Claimant],
    cfg: TriageConfig,
    rng: random.Random,
    reference: dict[str, Any] | None,
) -> dict[str, Any]:
    """PUT questionnaire on `ww serve triage` vs the bare-insert baseline app."""
    from triage.scoring import model as core
    from triage.scoring import questionnaire as q

    per_segment, warmups = segment_plan(cfg.requests, cfg.warmup, cfg.segments)
    total = sum(warmups) + per_segment * cfg.segments
    if len(people) < total:
        raise BenchError(f"{total} requests need {total} synthetic claimants, have {len(people)}")
    load = people[:total]
    db = run.database("triage", "api")
    baseline = _reference_baseline(reference)
    baseline_source = "registration phase of this run"
    b_proc: Proc | None = None
    b_url = ""
    b_bodies: list[dict[str, Any]] = []
    if baseline is None:
        baseline_source = "measured in this phase (the registration phase did not run)"
        _, _, b_url, b_proc = start_baseline(run)
        b_bodies = claim_bodies(rng, total)

    port = free_port()
    t_url = f"http://127.0.0.1:{port}"
    env = service_env(
        "triage",
        state_dir=run.state_dir,
        database_url=db,
        kafka=run.kafka,
        topic_prefix=run.topic_prefix("t"),
        port=port,
    )
    t_proc = run.procs.start("triage-serve", ["serve", "triage"], env)
    # The claims are registered while the servers start (they are idle afterwards).
    ids, setup = create_claims(run, db, load)
    token = Tokens(run.state_dir / "dev-jwt-key.pem").user("triage_analyst", sub=BENCH_SUBJECT)
    if b_proc is not None:
        healthy(b_url, b_proc)
    healthy(t_url, t_proc)
    pids = [t_proc.popen.pid] + ([b_proc.popen.pid] if b_proc else [])

    segments: dict[str, list[dict[str, Any]]] = {"triage": [], "baseline": []}
    start = 0
    for k in range(cfg.segments):
        size = warmups[k] + per_segment
        part = list(range(start, start + size))
        start += size
        bodies_file = run.dir / f"triage-bodies-{k}.json"
        paths_file = run.dir / f"triage-paths-{k}.json"
        bodies_file.write_text(
            json.dumps(
                [
                    {"questionnaire_version": q.CURRENT_VERSION, "answers": load[i].answers}
                    for i in part
                ]
            )
        )
        paths_file.write_text(json.dumps([f"/v1/claims/{ids[i]}/questionnaire" for i in part]))
        sides: list[tuple[str, str, Proc, list[str]]] = []
        if b_proc is not None:
            b_file = run.dir / f"triage-baseline-bodies-{k}.json"
            b_file.write_text(json.dumps([b_bodies[i] for i in part]))
            sides.append(
                (
                    "baseline",
                    b_url,
                    b_proc,
                    closed_args(
                        b_url,
                        b_file,
                        client=cfg.client,
                        concurrency=cfg.concurrency,
                        warmup=warmups[k],
                        pid=b_proc.popen.pid,
                        token=None,
                    ),
                )
            )
        t_args = closed_args(
            t_url,
            bodies_file,
            client=cfg.client,
            concurrency=cfg.concurrency,
            warmup=warmups[k],
            pid=t_proc.popen.pid,
            token=token,
        )
        t_args += ["--method", "PUT", "--paths", str(paths_file), "--ok-status", "200"]
        sides.append(("triage", t_url, t_proc, t_args))
        for name, _url, _proc, args in sides:
            quiet = settle(max_wait_s=cfg.settle_s, pids=pids)
            seg = run_loadgen(
                run, f"load-triage-{name}-{k}", "closed", args, time_limit=cfg.time_limit_s
            )
            seg["before"] = quiet
            segments[name].append(seg)
    run.stop(t_proc, *([b_proc] if b_proc else []))

    baseline_detail: dict[str, Any] | None = None
    if baseline is None:
        baseline_detail = combine(segments["baseline"])
        baseline = {
            "rps": baseline_detail["rps"],
            "latency_ms": baseline_detail["latency_ms"],
            "ok": baseline_detail["ok"],
        }
    triage = combine(segments["triage"])
    # What the load did: one answer set, one model score (and its event) per request.
    rows = {
        "claims": run.scalar(db, "SELECT count(*) FROM claims"),
        "questionnaire_responses": run.scalar(db, "SELECT count(*) FROM questionnaire_responses"),
        "model_scores": run.scalar(
            db, "SELECT count(*) FROM scores WHERE trigger = 'questionnaire' AND NOT provisional"
        ),
        "provisional_scores": run.scalar(db, "SELECT count(*) FROM scores WHERE provisional"),
        "outbox": run.scalar(db, "SELECT count(*) FROM outbox"),
        "audit_log": run.scalar(db, "SELECT count(*) FROM audit_log"),
    }
    # The API's stored probabilities are the scoring core's for the same answers.
    stored = {
        str(r[0]): float(r[1])
        for r in run.rows(
            db,
            "SELECT claim_id, probability FROM scores WHERE trigger = 'questionnaire' "
            "AND NOT provisional",
        )
    }
    index = {str(c): i for i, c in enumerate(ids)}
    diffs = [
        abs(p - core.score(model, load[index[c]].answers, age=load[index[c]].age).probability)
        for c, p in stored.items()
        if c in index
    ]
    server = [s["cpu"].get("server_cores") for s in triage["segments"]]
    cpu_ms = [
        round(1000 * s["cpu"]["server_cores"] / s["rps"], 2)
        if s["rps"] and s["cpu"].get("server_cores") is not None
        else None
        for s in triage["segments"]
    ]
    triage["rows"] = rows
    triage["server_cpu_ms_per_request"] = cpu_ms
    out: dict[str, Any] = {
        "endpoint": "PUT /v1/claims/{claim_id}/questionnaire",
        "token_role": "triage_analyst",
        "claims_setup": setup,
        "baseline_source": baseline_source,
        "baseline": baseline,
        "triage": triage,
        "server_cores": server,
        "stored_vs_core_max_abs_diff": max(diffs) if diffs else None,
        "stored_checked": len(diffs),
        "ratio_rps": ratio(triage["rps"], baseline["rps"]),
    }
    for qn in ("p50", "p95", "p99"):
        out[f"ratio_{qn}"] = ratio(triage["latency_ms"].get(qn), baseline["latency_ms"].get(qn))
    if baseline_detail is not None:
        out["baseline_measured"] = baseline_detail
    return out


# The phase ------------------------------------------------------------------------------------


def run_triage(
    run: BenchRun,
    cfg: TriageConfig,
    rng: random.Random,
    *,
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """In-process, batch (no servers running), then through the API."""
    from triage.scoring import model as core

    model = core.shipped()[core.DEFAULT_VERSION]
    per_segment, warmups = segment_plan(cfg.requests, cfg.warmup, cfg.segments)
    api_total = sum(warmups) + per_segment * cfg.segments
    n = max(cfg.calls, cfg.batch, api_total)
    seed = rng.randrange(2**31)
    t = time.monotonic()
    people = synthetic(n, seed)
    generated_s = round(time.monotonic() - t, 1)
    result: dict[str, Any] = {
        "config": asdict(cfg),
        "model_version": model.version,
        "synthetic": {"claimants": n, "seed": seed, "generate_s": generated_s},
    }
    # Each part on its own: a failing part (the API is the one with moving parts) is
    # recorded under `errors` and fails the phase, and the other parts' figures are kept.
    parts: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("in_process", lambda: in_process(model, people, cfg)),
        ("batch", lambda: batch(model, people, cfg)),
        ("api", lambda: api(run, model, people, cfg, rng, reference)),
    ]
    errors: dict[str, str] = {}
    for name, measure in parts:
        t = time.monotonic()
        try:
            result[name] = measure()
        except BenchError as exc:
            errors[name] = str(exc)
        except Exception as exc:
            errors[name] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-3000:]}"
        else:
            result[name]["wall_s"] = round(time.monotonic() - t, 1)
    if errors:
        result["errors"] = errors
        result["error"] = "; ".join(f"{k}: {v.splitlines()[0]}" for k, v in errors.items())
    return result
