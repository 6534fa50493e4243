"""Sweeps: a scenario whose fields are lists or ranges, run on Dask (issue 16)."""

from .spec import Sweep, read_sweep, sweep_from_dict

__all__ = ["Sweep", "read_sweep", "run_sweep", "sweep_from_dict"]


def run_sweep(sweep: Sweep, *, workers: int | None = None, scheduler: str | None = None,
              progress=None):
    """Run every point of ``sweep`` and return its Dataset (see :mod:`.engine`, :mod:`.dataset`).
    ``workers = 0``: here, serially; else a LocalCluster of ``workers`` processes (default one
    per core), or the cluster at ``scheduler``."""
    from .._version import __version__
    from ..simulate.store import model_fingerprint
    from .dataset import to_dataset
    from .engine import run

    outcome = run(sweep, workers=workers, scheduler=scheduler, progress=progress)
    return to_dataset(sweep, outcome, model_fingerprint(), __version__)
