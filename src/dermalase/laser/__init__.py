"""Laser sources and delivery: a full-field spot or a fractional pattern of microbeams."""

from .delivery import FullField
from .sources import SOURCES, LaserSource, get_source

__all__ = ["SOURCES", "LaserSource", "get_source", "FullField"]
