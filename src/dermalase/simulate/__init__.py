"""Scenario, pipeline and Result."""

from .fractional import simulate_zone, zone_probe
from .pipeline import Result, simulate
from .scenario import Scenario

__all__ = ["Result", "Scenario", "simulate", "simulate_zone", "zone_probe"]
