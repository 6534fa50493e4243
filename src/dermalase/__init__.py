"""dermalase: see, before treating, what a laser setting does to a given skin.

A physics-based simulator and treatment planner for laser skin resurfacing: full-field
ablative ("laser peel": CO2, Er:YAG, Er:YSGG) and fractional ("profractional", non-ablative
fractional) treatments. The chain: layered skin model -> laser and delivery -> energy
deposition (Beer-Lambert; Monte Carlo transport) -> ablation -> heat conduction (bioheat) ->
Arrhenius thermal damage -> re-epithelialization -> metrics, figures, a plan with its reasons
and sources. Inputs take units (``"250 us"``, ``"10 J/cm^2"``; a bare number is SI).

Simulate one setting::

    import dermalase
    result = dermalase.simulate({
        "skin": {"site": "cheek", "phototype": 2},
        "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"fluence": "10 J/cm^2", "passes": 2},
    })
    result.summary["ablation_depth_um"]    # the JSON summary (units in result.summary["units"])
    result.dataset                         # the fields as an xarray Dataset (CF conventions)

Plan a patient, sweep a setting, read a device::

    plan = dermalase.plan(dermalase.example("patient_perioral"))   # a Plan: plan.recommended
    ds = dermalase.sweep(dermalase.example("sweep_er_yag"))        # an xarray Dataset
    dermalase.device("sciton-contour-trl")                         # its dials and sources

What is here (each with a docstring that shows its use):

- ``simulate(scenario) -> Result``; ``Scenario`` (``Scenario.from_toml``, ``.from_dict``)
- ``plan(patient) -> Plan``; ``Patient``; ``Plan`` (``.recommended``, ``.to_dict()``)
- ``sweep(spec, workers=None) -> xarray.Dataset``: lists and ranges of any field, on Dask
- ``devices()`` and ``device(name)``: the device catalogue in each device's own terms
- ``monte_carlo(medium, n_photons)``, ``Medium``, ``Layer``, ``run_mci(path)``: photon
  transport (MCML's method), checked against adding-doubling
- ``example(name)``: the path of a built-in scenario, patient, sweep or ``.mci`` file
- ``InputError``: every bad input, one line naming the field, the value and what is allowed

The command line does the same: ``dermalase --help`` (or ``python -m dermalase``). The
documentation site (``make docs``) has tutorials and the reference.

Names load on first use (PEP 562): ``import dermalase`` imports none of NumPy, numba, xarray or
pydantic, so a command that needs no physics starts at once (issue 18).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

from ._version import __version__
from .errors import InputError

if TYPE_CHECKING:  # what the lazy names are, for type checkers
    from .api import Plan, device, devices, example, monte_carlo, plan, run_mci, sweep
    from .physics.montecarlo import Layer, Medium
    from .planner import Patient
    from .simulate import Result, Scenario, simulate

#: public name -> the module that defines it
_LAZY = {"Result": "dermalase.simulate", "Scenario": "dermalase.simulate",
         "simulate": "dermalase.simulate",
         "plan": "dermalase.api", "Plan": "dermalase.api", "Patient": "dermalase.planner",
         "sweep": "dermalase.api", "devices": "dermalase.api", "device": "dermalase.api",
         "monte_carlo": "dermalase.api", "run_mci": "dermalase.api",
         "Medium": "dermalase.physics.montecarlo", "Layer": "dermalase.physics.montecarlo",
         "example": "dermalase.api"}

__all__ = ["__version__", "InputError", "Layer", "Medium", "Patient", "Plan", "Result",
           "Scenario", "device", "devices", "example", "monte_carlo", "plan", "run_mci",
           "simulate", "sweep"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dermalase' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``dermalase.simulate``, ``dermalase.sweep`` and ``dermalase.devices`` are the functions,
    not the subpackages of the same names: importing such a subpackage must not replace the
    function with the module (the import system sets the parent's attribute after loading a
    submodule). The subpackages stay importable by name (``from dermalase.sweep import ...``)."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and name in _LAZY \
                and value.__name__ == f"{__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
