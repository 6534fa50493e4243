"""Sweeps: a scenario whose fields are lists or ranges, run on Dask (issue 16)."""

from .spec import Sweep, read_sweep, sweep_from_dict

__all__ = ["Sweep", "read_sweep", "run_sweep", "sweep_from_dict"]


def run_sweep(sweep: Sweep, *, workers: int | None = None, scheduler: str | None = None,
              progress=None, yes: bool = False):
    """Run every point of ``sweep`` and return its Dataset (see :mod:`.engine`, :mod:`.dataset`).
    ``workers = 0``: here, serially; ``N``: a LocalCluster of N processes (at most one per core
    and per task); ``None``: serial or a LocalCluster of the free cores, whichever is predicted
    to finish first (the dataset's ``engine`` attribute says which and why); or the cluster at
    ``scheduler``. A sweep predicted to run longer than the limit (``DERMALASE_MAX_SECONDS``) is
    refused unless ``yes``."""
    from .._version import __version__
    from ..simulate.store import model_fingerprint
    from .dataset import to_dataset
    from .engine import run

    outcome = run(sweep, workers=workers, scheduler=scheduler, progress=progress, yes=yes)
    return to_dataset(sweep, outcome, model_fingerprint(), __version__)
