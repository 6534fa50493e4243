"""dermalase: physics-based simulator and treatment planner for laser skin resurfacing."""

from ._version import __version__
from .errors import InputError
from .simulate import Result, Scenario, simulate

__all__ = ["__version__", "InputError", "Result", "Scenario", "simulate"]
