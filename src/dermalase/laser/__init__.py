"""Laser sources, temporal pulse and delivery (full-field spot; fractional in a later issue)."""

from .delivery import FullField
from .sources import SOURCES, LaserSource, get_source

__all__ = ["SOURCES", "LaserSource", "get_source", "FullField"]
