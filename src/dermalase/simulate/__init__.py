"""Scenario, pipeline and Result."""

from .pipeline import Result, simulate
from .scenario import Scenario

__all__ = ["Result", "Scenario", "simulate"]
