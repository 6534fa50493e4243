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


def _client(workers: int | None, scheduler: str | None):
    """A Dask client: on ``scheduler`` (or $DASK_SCHEDULER_ADDRESS), else on a new LocalCluster
    of ``workers`` single-threaded processes (default: one per core)."""
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        try:
            return Client(address, timeout=f"{CONNECT_TIMEOUT}s"), f"cluster at {address}"
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError("--scheduler", address, f"the address of a running Dask "
                             f"scheduler ({type(exc).__name__})") from None
    n = workers if workers else (os.cpu_count() or 1)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=50)
    return Client(cluster), f"LocalCluster, {n} worker(s)"


def run_tasks(fn: Callable, items: list, on_result: Callable[[int, str, object], None], *,
              workers: int | None, scheduler: str | None) -> str:
    """``fn(item)`` -> (status, value) for every item, on a Dask cluster (see :func:`_client`);
    ``on_result(index, status, value)`` is called here as each arrives. A task whose worker is
    lost (or whose ``fn`` escapes with an exception) arrives as ("error", one line). Returns
    the engine's description."""
    from distributed import as_completed

    client, engine = _client(workers, scheduler)
    try:
        futures = client.map(fn, items, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            try:
                status, value = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker lost with its task
                status, value = "error", (f"the worker running this task was lost "
                                          f"({type(exc).__name__})")
            on_result(index[fut.key], status, value)
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()
    return engine


def run(sweep: Sweep, *, workers: int | None = None, scheduler: str | None = None,
        progress: Callable[[int, int], None] | None = None) -> Outcome:
    """Every point of ``sweep``: ``workers = 0`` runs them here, one after the other (the
    reference); otherwise on Dask. ``progress(done, total)`` is called as points arrive."""
    from ..simulate import Scenario

    scenarios = sweep.scenarios or tuple(Scenario.from_dict(d) for _, d in sweep.points())
    return run_scenarios(scenarios, workers=workers, scheduler=scheduler, progress=progress)


def run_scenarios(scenarios, *, workers: int | None = None, scheduler: str | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Outcome:
    """Every scenario of the sequence ``scenarios``, as :func:`run` does."""
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

    def record(k: int, status: str, value) -> None:
        nonlocal done
        if status == "ok":
            summaries[k] = value
            store.put(STORE_KIND, scenarios[k], value)
        else:
            errors[k] = value
        done += 1
        out.computed += 1
        if progress:
            progress(done, total)

    if workers == 0 or not todo:
        for k in todo:
            record(k, *run_point(scenarios[k]))
    else:
        out.engine = run_tasks(run_point, [scenarios[k] for k in todo],
                               lambda i, status, value: record(todo[i], status, value),
                               workers=workers, scheduler=scheduler)
    out.notes = store.take_notes()
    out.seconds = time.perf_counter() - t0
    return out
