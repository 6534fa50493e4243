"""Running a sweep: serially, on a Dask LocalCluster, or on any Dask cluster.

Every point's summary is kept in the simulation store (:mod:`dermalase.simulate.store`) as soon
as it arrives, keyed by the resolved scenario and the model's fingerprint: a sweep that is
interrupted resumes from what is stored, and a point already computed by a plan or another sweep
is not computed again. A point that fails records its one-line error and the sweep goes on.
The results do not depend on the number of workers: each point is one deterministic simulation.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import InputError
from .spec import Sweep

#: environment variable naming a running scheduler (as Dask's own tools use it)
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
#: the kind of result a sweep keeps in the simulation store
STORE_KIND = "sweep-summary"
#: seconds to wait for a scheduler given by address
CONNECT_TIMEOUT = 5


def run_point(point) -> tuple[str, dict | str]:
    """One point on a worker (a Scenario, or its dict): ("ok", summary) or ("error", one
    line). Nothing else escapes."""
    from ..simulate import Scenario, simulate

    try:
        result = simulate(point if isinstance(point, Scenario) else Scenario.from_dict(point))
    except InputError as exc:  # e.g. the resource guard
        return "error", str(exc)
    except Exception as exc:  # noqa: BLE001 - recorded, never lost: the sweep goes on
        return "error", f"internal error ({type(exc).__name__}: {exc})".replace("\n", " ")
    return "ok", {k: v for k, v in result.summary.items() if k not in ("scenario",)}


@dataclass
class Outcome:
    """Per point (C order): the summary or None, and the error ('' when none)."""

    summaries: list[dict | None]
    errors: list[str]
    computed: int = 0
    from_store: int = 0
    seconds: float = 0.0
    engine: str = "serial"
    notes: list[str] = field(default_factory=list)


#: seconds a LocalCluster costs before its first point comes back: its start (~0.6 s) and each
#: worker's first import of the package and its compiled kernels (~2 s, in parallel), measured
#: by benchmarks/bench_sweep.py (docs/design.md, "Sweeps")
CLUSTER_START_S = 3.0
#: a task (a batch of points) is sized to take about this long: Dask's own cost is ~1 ms a task
#: (distributed.dask.org, "Each task suffers about 1ms of overhead"), so a batch of 1-D points
#: of ~20 ms each pays it once for ~50 points, while 4 batches per worker keep the load balanced
TASK_SECONDS = 1.0
TASKS_PER_WORKER = 4
#: memory of one idle worker process with the package imported (measured RSS, ~0.3 GB)
WORKER_BYTES = 0.3e9
#: points whose predicted cost is summed before a sweep starts (a larger sweep is sampled)
PREDICT_SAMPLE = 400
#: points timed here, one after the other, when the prediction alone exceeds the limit or the
#: engine is to be chosen (they are points of the sweep: their results are kept)
PILOT_POINTS = 2


def cap_workers(requested: int, tasks: int) -> tuple[int, str]:
    """``requested`` worker processes, capped by this machine's cores and by the number of
    tasks; the note says why when capped ('' if not)."""
    cores = os.cpu_count() or 1
    n = max(1, min(requested, cores, tasks))
    if n == requested:
        return n, ""
    why = [f"{cores} core(s)"] if requested > cores else []
    if requested > tasks:
        why.append(f"{tasks} task(s)")
    return n, f"workers capped at {n} ({requested} asked; {' and '.join(why)})"


def _client(workers: int | None, scheduler: str | None, tasks: int | None = None):
    """(a Dask client, the engine in words, its number of workers): on ``scheduler`` (or
    $DASK_SCHEDULER_ADDRESS), else on a new LocalCluster of ``workers`` single-threaded
    processes (default: one per core), never more than the cores nor the ``tasks``. A cluster
    that cannot start (a process limit) is one line naming --workers."""
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        try:
            client = Client(address, timeout=f"{CONNECT_TIMEOUT}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError("--scheduler", address, f"the address of a running Dask "
                             f"scheduler ({type(exc).__name__})") from None
        n = len(client.scheduler_info().get("workers", {})) or 1
        return client, f"cluster at {address}", n
    asked = workers if workers else (os.cpu_count() or 1)
    n, note = cap_workers(asked, tasks if tasks is not None else asked)
    try:
        # ":0": the dashboard on a free port. None does not turn it off in distributed: it
        # asks for 8787 and warns when another cluster holds it (warnings are errors in tests)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=50)
    except Exception as exc:  # noqa: BLE001 - e.g. "Nanny failed to start" under a limit
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError("--workers", asked, f"a number of worker processes this machine can "
                         f"start (a LocalCluster of {n} failed: {reason}); fewer, or 0 to run "
                         "here") from None
    engine = f"LocalCluster, {n} worker(s)" + (f" ({note})" if note else "")
    return Client(cluster), engine, n


def _close(client) -> None:
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def _map(client, fn: Callable, items: list,
         on_result: Callable[[int, str, object], None]) -> None:
    """``fn(item)`` for every item on ``client``'s cluster; ``on_result(index, status, value)``
    here as each arrives (a lost worker's task arrives as ("error", one line))."""
    from distributed import as_completed

    futures = client.map(fn, items, pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    for fut in as_completed(futures):
        try:
            status, value = fut.result()
        except Exception as exc:  # noqa: BLE001 - a worker lost with its task
            status, value = "error", (f"the worker running this task was lost "
                                      f"({type(exc).__name__})")
        on_result(index[fut.key], status, value)


def run_tasks(fn: Callable, items: list, on_result: Callable[[int, str, object], None], *,
              workers: int | None, scheduler: str | None) -> str:
    """``fn(item)`` -> (status, value) for every item, on a Dask cluster (see :func:`_client`);
    ``on_result(index, status, value)`` is called here as each arrives. A task whose worker is
    lost (or whose ``fn`` escapes with an exception) arrives as ("error", one line). Returns
    the engine's description."""
    client, engine, _ = _client(workers, scheduler, len(items))
    try:
        _map(client, fn, items, on_result)
    finally:
        _close(client)
    return engine


def run_batch(points: list) -> tuple[str, list]:
    """A task of several points: ("ok", [(status, value, store key), ...]) in order. The store
    key is computed here, on the worker, so the client only files what arrives."""
    from ..simulate import Scenario, store

    out = []
    for p in points:
        sc = p if isinstance(p, Scenario) else Scenario.from_dict(p)
        status, value = run_point(sc)
        out.append((status, value, store.key(STORE_KIND, sc) if status == "ok" else ""))
    return "ok", out


@dataclass
class Estimate:
    """What a sweep is predicted to cost before it starts (simulate/budget.py per point)."""

    points: int
    #: predicted seconds of all points run one after the other (the budget's conservative
    #: throughput, or scaled by the points timed here when ``timed``)
    serial_seconds: float
    #: the most memory one point needs (bytes)
    point_bytes: float
    #: points the single-run guard will refuse (they fail alone, in a moment)
    refused: int = 0
    timed: bool = False

    def wall_seconds(self, workers: int) -> float:
        return self.serial_seconds / max(workers, 1) + (CLUSTER_START_S if workers > 1 else 0)


def estimate(scenarios) -> Estimate:
    """The predicted cost of ``scenarios`` (a sample of :data:`PREDICT_SAMPLE` of a large
    sweep, scaled): each point's budget (cells x steps at the budget's throughput), the points
    that exceed the single-run limit counted out."""
    from ..simulate import budget

    n = len(scenarios)
    step = max(1, -(-n // PREDICT_SAMPLE))
    sample = scenarios[::step]
    limit = budget.limit_seconds()
    seconds, biggest, refused = 0.0, 0.0, 0
    for sc in sample:
        b = budget.predict(sc)
        biggest = max(biggest, b.memory_bytes)
        if b.seconds > limit:
            refused += 1
        else:
            seconds += b.seconds
    scale = n / len(sample) if sample else 0.0
    return Estimate(n, seconds * scale, biggest, round(refused * scale))


def _calibrated(est: Estimate, timed: list[tuple[object, float]]) -> Estimate:
    """``est`` scaled by what the pilot points took against their predictions (the first
    point of a process also loads the compiled kernels: the last timed point is used)."""
    from ..simulate import budget

    sc, seconds = timed[-1]
    predicted = budget.predict(sc).seconds
    if predicted <= 0:
        return est
    return Estimate(est.points, est.serial_seconds * seconds / predicted, est.point_bytes,
                    est.refused, timed=True)


#: what a refused study names, and how to allow it: a sweep (its --yes) by default; a study of
#: samples (``--uncertainty N``) names its count
SWEEP_GUARD = ("sweep", "points", "run it with --yes (Python: yes=True)")
SAMPLES_GUARD = ("--uncertainty", "samples", "fewer samples")


def _guard(est: Estimate, workers: int, yes: bool, total: int,
           names: tuple[str, str, str] = SWEEP_GUARD) -> None:
    """Refuse a sweep predicted to run longer than the limit (simulate/budget.py) unless the
    user said yes; refuse one whose workers cannot fit in memory."""
    from ..simulate import budget

    memory = budget.limit_bytes()
    need = workers * (est.point_bytes + WORKER_BYTES) if workers > 1 else est.point_bytes
    if need > memory and workers > 1:
        raise InputError("--workers", workers, f"workers that fit in {memory / 1e9:.3g} GB "
                         f"(each point needs ~{est.point_bytes / 1e9:.2g} GB and each worker "
                         f"~{WORKER_BYTES / 1e9:.1g} GB more); fewer, or set "
                         "DERMALASE_MAX_MEMORY_GB")
    limit = budget.limit_seconds()
    wall = est.wall_seconds(workers)
    if wall > limit and not yes:
        how = "its first points, timed" if est.timed else "the simulations' budget"
        field, unit, allow = names
        raise InputError(field, f"{total:,} {unit}", f"a study predicted to finish within "
                         f"{limit:g} s (this one: ~{wall:,.0f} s more on {workers} worker(s), "
                         f"from {how}); {allow}, more workers or a cluster, or set "
                         "DERMALASE_MAX_SECONDS")


def run(sweep: Sweep, *, workers: int | None = None, scheduler: str | None = None,
        progress: Callable[[int, int], None] | None = None, yes: bool = False) -> Outcome:
    """Every point of ``sweep``: ``workers = 0`` runs them here, one after the other (the
    reference); ``workers = N`` on a LocalCluster of N processes (at most one per core);
    ``scheduler`` on that cluster; ``None`` chooses by the study's size (see
    :func:`run_scenarios`). ``progress(done, total)`` is called as points arrive."""
    from ..simulate import Scenario

    scenarios = sweep.scenarios or tuple(Scenario.from_dict(d) for _, d in sweep.points())
    return run_scenarios(scenarios, workers=workers, scheduler=scheduler, progress=progress,
                         yes=yes)


def run_scenarios(scenarios, *, workers: int | None = None, scheduler: str | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  yes: bool = False, guard: tuple[str, str, str] = SWEEP_GUARD) -> Outcome:
    """Every scenario of the sequence ``scenarios``.

    Before anything runs, the points the store lacks are priced (:func:`estimate`): a sweep
    predicted to run longer than the limit (``DERMALASE_MAX_SECONDS``, 600 s) is refused unless
    ``yes``; when the conservative prediction exceeds it, or the engine is to be chosen
    (``workers=None`` without a scheduler), the first points are timed here first and the
    prediction scaled by them. ``guard``: what a refusal names (:data:`SWEEP_GUARD`,
    :data:`SAMPLES_GUARD`). The engine chosen for ``workers=None``: serial unless a
    LocalCluster of the free cores, its start included, is predicted to finish sooner. On a
    cluster, points go in batches (about :data:`TASK_SECONDS` each, at least
    :data:`TASKS_PER_WORKER` per worker) and their summaries are filed in the store a batch at
    a time, off the loop that collects them."""
    from ..simulate import store

    t0 = time.perf_counter()
    total = len(scenarios)
    summaries: list[dict | None] = [None] * total
    errors = [""] * total
    todo = []
    for k, sc in enumerate(scenarios):  # resume: what is stored is taken at once
        kept = store.stored(STORE_KIND, sc)
        if kept is not None:
            summaries[k] = kept
        else:
            todo.append(k)
    out = Outcome(summaries, errors, from_store=total - len(todo))
    done = out.from_store
    if progress:
        progress(done, total)

    def record(k: int, status: str, value, filed: bool = False) -> None:
        nonlocal done
        if status == "ok":
            summaries[k] = value
            if not filed:
                store.put(STORE_KIND, scenarios[k], value)
        else:
            errors[k] = value
        done += 1
        out.computed += 1
        if progress:
            progress(done, total)

    if todo:
        from ..simulate import budget

        local = scheduler is None and not os.environ.get(SCHEDULER_ENV)
        asked = workers if workers is not None else (os.cpu_count() or 1)
        n = 1 if workers == 0 else cap_workers(asked, len(todo))[0]
        choose = workers is None and local
        est = estimate([scenarios[k] for k in todo])
        # timed first: to choose the engine, to size a cluster's batches (when a batch may
        # hold more than one point), or to price a sweep the budget alone would refuse
        sizing = workers != 0 and len(todo) > TASKS_PER_WORKER * n
        if choose or sizing or est.wall_seconds(n) > budget.limit_seconds():
            todo, est = _timed_first(scenarios, todo, record, est)
        if choose:
            n, out.engine = _choose(est, len(todo)) if todo else \
                (1, "serial (chosen: every point ran while the first ones were timed)")
        if local:  # a cluster given by address: its size is not known here
            _guard(est, n, yes, total, guard)
        if workers == 0 or (choose and n <= 1) or not todo:
            for k in todo:
                record(k, *run_point(scenarios[k]))
        else:
            out.engine = _run_batches(scenarios, todo, record, est,
                                      workers=(workers or n) if local else workers,
                                      scheduler=scheduler,
                                      note=out.engine if choose else "")
    out.notes = store.take_notes()
    out.seconds = time.perf_counter() - t0
    return out


def _timed_first(scenarios, todo: list[int], record, est: Estimate) -> tuple[list[int],
                                                                          Estimate]:
    """Run the first :data:`PILOT_POINTS` of ``todo`` here, timed (their results are kept),
    and scale the estimate of the rest by them. Returns (the points left, their estimate)."""
    pilot: list[tuple[object, float]] = []
    for k in todo[:PILOT_POINTS]:
        t = time.perf_counter()
        record(k, *run_point(scenarios[k]))
        pilot.append((scenarios[k], time.perf_counter() - t))
    todo = todo[len(pilot):]
    if todo:
        est = _calibrated(estimate([scenarios[k] for k in todo]), pilot)
    return todo, est


def _choose(est: Estimate, points: int) -> tuple[int, str]:
    """Workers for a sweep left to choose: the free cores when a LocalCluster, its start
    included, is predicted to finish sooner than this process alone; else 1 (serial). Returns
    (workers, the choice in words)."""
    from ..physics.numerics import free_cores

    n = max(1, min(int(free_cores()), os.cpu_count() or 1, points))
    serial = est.serial_seconds
    cluster = est.wall_seconds(n)
    if n > 1 and cluster < serial:
        return n, (f"chosen: ~{serial:.1f} s predicted serially, ~{cluster:.1f} s on {n} "
                   f"workers with the cluster's start")
    why = (f"~{cluster:.1f} s on {n} workers with the cluster's start" if n > 1
           else "no free core for a second worker")
    return 1, f"serial (chosen: ~{serial:.1f} s predicted here; {why})"


def _run_batches(scenarios, todo: list[int], record, est: Estimate, *, workers: int | None,
                 scheduler: str | None, note: str) -> str:
    """The points ``todo`` in batches on Dask (sized once the cluster's workers are known);
    each batch's summaries filed in the store by a writer thread. Returns the engine's
    description."""
    from concurrent.futures import ThreadPoolExecutor

    from ..simulate import store

    client, engine, n = _client(workers, scheduler, len(todo))
    per_point = est.serial_seconds / max(est.points, 1)
    by_time = max(1, int(TASK_SECONDS / per_point)) if per_point > 0 else 1
    size = max(1, min(by_time, -(-len(todo) // (n * TASKS_PER_WORKER))))
    batches = [todo[i:i + size] for i in range(0, len(todo), size)]
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dermalase-store")
    filing = []

    def arrived(i: int, status: str, value) -> None:
        ks = batches[i]
        if status != "ok":  # the whole task was lost
            for k in ks:
                record(k, "error", value, filed=True)
            return
        records = []
        for k, (st, val, key) in zip(ks, value, strict=True):
            record(k, st, val, filed=True)
            if st == "ok":
                records.append((STORE_KIND, key, val))
        filing.append(writer.submit(store.put_records, records))

    try:
        with warnings.catch_warnings():
            # the scenarios travel with their tasks (~3.5 kB a point: 35 MB for 10^4 points),
            # which Dask finds large; sent once, they cost well under the study's compute
            warnings.filterwarnings("ignore", message="Sending large graph")
            _map(client, run_batch, [[scenarios[k] for k in b] for b in batches], arrived)
    finally:
        _close(client)
        writer.shutdown(wait=True)
    for f in filing:
        f.result()
    return engine + f", {len(batches)} task(s) of up to {size} point(s)" + \
        (f"; {note}" if note else "")
