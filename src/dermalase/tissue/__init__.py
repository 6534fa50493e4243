"""Layered skin model: layers, body-site presets, phototype, material properties."""

from .model import LAYER_NAMES, SITES, Layer, SkinModel, build_skin

__all__ = ["LAYER_NAMES", "SITES", "Layer", "SkinModel", "build_skin"]
