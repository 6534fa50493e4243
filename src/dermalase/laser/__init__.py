"""Laser sources, temporal pulse and delivery (full-field spot; fractional in a later issue)."""

from .sources import SOURCES, LaserSource, get_source
from .delivery import FullField

__all__ = ["SOURCES", "LaserSource", "get_source", "FullField"]
