"""The planner's candidate searches in parallel, on the sweep's Dask engine (issue 16).

A plan searches the settings of each allowed, simulated modality of each concern; each search is
a chain of simulations (one probe depends on the last), but the searches are independent. So:

1. every search is first tried from the simulation store alone (:func:`store.offline`): a warm
   plan needs no cluster and starts none;
2. the searches the store cannot answer run as one Dask task each (a LocalCluster of one worker
   per core, or the cluster at ``--scheduler``); a worker records every stored value its search
   used or made (:func:`store.recording`) and sends them back; the client keeps them in its own
   store, so a remote cluster needs no shared disk;
3. the plan is then made as in a serial run, from the store: the same plan, whatever the
   engine (tested). A search that fails on a worker is left to the serial pass, which reports
   its error as a serial plan would.
"""

from __future__ import annotations

from collections.abc import Callable

from ..simulate import store
from . import search
from .patient import Patient

#: one search: search(patient, concern index, modality) runs it (planner.plan.search_one)
Search = Callable[[Patient, int, str], None]


def needs_simulation(search: Search, patient: Patient, job: tuple[int, str]) -> bool:
    """Whether the search ``job`` needs a simulation the store does not hold."""
    try:
        with store.offline():
            search(patient, *job)
    except store.Missing:
        return True
    return False


def _lacking(run: Search, patient: Patient, jobs: list[tuple[int, str]]) -> list:
    """The searches of ``jobs`` the store cannot answer, longest first (so that the short ones
    fill in around them): the r-z channel searches, then the 1-D ones, erbium before the others
    within each. Measured on patient_perioral (warm kernels, one thread each): fractional
    Er:YAG 0.33 s, fractional CO2 0.30 s, full-field Er:YAG 0.26 s (two-pass runs), full-field
    CO2 0.05 s; erbium's 1 µm cells (r-z) and 0.35 µm cells (1-D) make its runs the longer."""
    def cost_rank(job: tuple[int, str]) -> tuple[bool, bool]:
        modality = job[1]
        return not modality.startswith("fractional"), "er:" not in modality

    return sorted((job for job in jobs if needs_simulation(run, patient, job)), key=cost_rank)


def search_task(args: tuple) -> tuple[str, object]:
    """On a worker: one search; ("ok", the store records it used) or ("error", one line)."""
    run, patient, i, modality, *cal = args
    from ..calibration import use

    try:  # the drawn fields stay with the client, which draws the report
        with use(cal[0] if cal else None), store.recording() as records, \
                search.fields_not_kept():
            run(patient, i, modality)
    except Exception as exc:  # noqa: BLE001 - the serial pass reports it in full
        return "error", f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return "ok", list(records)


def search_in_threads(patient: Patient, jobs: list[tuple[int, str]], run: Search,
                      threads: int | None) -> int:
    """Run the searches of ``jobs`` that the store lacks on ``threads`` threads of this
    process (the compiled kernels release the GIL; each run's sweeps stay serial). What they
    compute lands in the store; returns how many searches ran. No cluster to start: on a
    2-core machine this is what a cold plan can gain. ``threads = None``: one per free core,
    counted only when two searches or more are lacking (the count samples the run queue for
    a few ms, which a repeated plan need not spend)."""
    return search_lacking(patient, jobs, run, threads)


def search_lacking(patient: Patient, jobs: list[tuple[int, str]], run: Search,
                   threads: int | None = None, fork: bool = False) -> int:
    """The searches of ``jobs`` that the store lacks, run before the plan is made from the
    store: on ``threads`` threads (None: one per free core, counted only when two searches or
    more are lacking); with ``fork`` and ``threads = None``, in this process and a forked one
    where :func:`fork_ready` allows (:func:`search_in_processes`). Returns how many ran
    (0: fewer than two lacking, or fewer than two cores: the plan searches serially)."""
    if threads is not None and threads < 2:
        return 0
    todo = _lacking(run, patient, jobs)
    if len(todo) < 2:
        return 0
    if threads is None:
        threads = _free_cores()
        if threads < 2:
            return 0
        if fork and fork_ready():
            _forked(patient, todo, run)
            return len(todo)
    _threads(patient, todo, run, threads)
    return len(todo)


def _free_cores() -> int:
    """The free cores, counted (sampling the run queue for a few ms)."""
    from ..physics.numerics import free_cores

    return round(free_cores())


def _search(run: Search, patient: Patient, job: tuple[int, str]) -> None:
    """One search beside others, on serial kernels (fields kept or not as the caller says). A
    search that fails is left to the serial pass, which reports it as a serial plan would."""
    from ..physics.solver import serial_kernels  # the simulations need it anyway

    with serial_kernels():
        try:
            run(patient, *job)
        except Exception:  # noqa: BLE001 - the serial pass reports it in full
            pass


def _threads(patient: Patient, todo: list, run: Search, threads: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda job: _search(run, patient, job), todo))


def fork_ready() -> bool:
    """Whether this process may fork a search process: the platform forks (not Windows) and
    this process runs one thread (a fork copies only the calling thread, and with it any lock
    another thread held: a web server's or a progress bar's thread could leave the child
    waiting forever), and it has not loaded numba's threading layer."""
    import multiprocessing
    import sys
    import threading

    return "fork" in multiprocessing.get_all_start_methods() \
        and threading.active_count() == 1 and "numba.np.ufunc.parallel" not in sys.modules


def _pull(run: Search, patient: Patient, todo: list, counter) -> int:
    """Take the next search of ``todo`` (the shared ``counter``) until none is left; returns
    how many were taken (:func:`_search`; the fields setting is inherited by the fork)."""
    taken = 0
    while True:
        with counter.get_lock():
            k = counter.value
            counter.value += 1
        if k >= len(todo):
            return taken
        taken += 1
        _search(run, patient, todo[k])


def _child(run: Search, patient: Patient, todo: list, counter, conn) -> None:
    """The forked process: its searches, and what its store recorded sent back (the
    calibration in force and the store's folder came with the fork)."""
    try:
        with store.recording() as records:
            taken = _pull(run, patient, todo, counter)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the parent says so
        return  # in one line; the child leaves quietly (its end of the pipe closes: EOF)
    conn.send((records, taken, list(store.NOTES)))  # NOTES: damaged entries it replaced
    conn.close()


def search_in_processes(patient: Patient, jobs: list[tuple[int, str]], run: Search,
                        check_cores: bool = True) -> dict:
    """Run the searches of ``jobs`` that the store lacks in this process and in one forked
    process beside it, each taking the next search from a shared counter; the child sends
    back what its store recorded. What both compute lands in this process's store. Returns
    ``{"searches": run, "here": by this process, "forked": by the child}``; nothing is done
    (``searches`` 0) where :func:`fork_ready` says no, fewer than two searches are lacking,
    or (``check_cores``) fewer than two cores are free: the caller then searches on threads
    or serially.

    Why a process and not threads (issue 18, cold plan < 2 s): a cold command spends ~0.7 s
    importing numba and loading its compiled kernels, work that holds the GIL and numba's
    compiler lock, so two threads do it one after the other; a process forked before numba is
    imported does it at the same time as this one, and the searches' Python steps between
    kernel calls no longer share one GIL. Used by the command line, which runs one thread;
    a server keeps to threads (:func:`fork_ready`)."""
    done = {"searches": 0, "here": 0, "forked": 0}
    if not fork_ready():
        return done
    todo = _lacking(run, patient, jobs)
    if len(todo) < 2 or (check_cores and _free_cores() < 2):
        return done
    done.update(_forked(patient, todo, run), searches=len(todo))
    return done


def _forked(patient: Patient, todo: list, run: Search) -> dict:
    """``todo`` run here and in a forked process: {"here": n, "forked": m}."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("i", 0)
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(run, patient, todo, counter, send), daemon=True)
    child.start()
    send.close()
    done = {"here": 0, "forked": 0}
    try:
        done["here"] = _pull(run, patient, todo, counter)
        try:
            records, done["forked"], notes = receive.recv()
            store.put_records(records)
            store.NOTES.extend(note for note in notes if note not in store.NOTES)
        except EOFError:  # the child died: the serial pass computes what it took
            pass
    except BaseException:  # interrupted (or failed) here: the child's searches are not wanted
        child.terminate()
        raise
    finally:
        receive.close()
        child.join()
    return done


def search_in_parallel(patient: Patient, jobs: list[tuple[int, str]], run: Search, *,
                       workers: int | None = None,
                       scheduler: str | None = None,
                       progress: Callable[[int, int], None] | None = None) -> dict:
    """Run the searches of ``jobs`` ((concern index, modality)) that the store lacks on Dask,
    ``run`` doing one, and keep what they computed. Returns what was
    done: searches in all, those run on the engine, the engine, and errors left to the
    serial pass."""
    from ..sweep.engine import run_tasks

    todo = _lacking(run, patient, jobs)
    errors: list[str] = []
    done = {"searches": len(jobs), "on_engine": len(todo), "engine": "none (all stored)",
            "errors": errors}
    if not todo:
        return done
    finished = 0

    def arrived(k: int, status: str, value) -> None:
        nonlocal finished
        if status == "ok":
            store.put_records(value)
        else:
            errors.append(f"{todo[k][1]}: {value}")
        finished += 1
        if progress:
            progress(finished, len(todo))

    if progress:
        progress(0, len(todo))
    from ..calibration import current  # the workers search under the client's calibration

    done["engine"] = run_tasks(search_task, [(run, patient, i, m, current()) for i, m in todo],
                               arrived,
                               workers=workers, scheduler=scheduler)
    return done
