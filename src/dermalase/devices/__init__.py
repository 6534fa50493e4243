"""Devices in their own terms: the catalogue (``data/devices.toml``), scenarios written with a
device's settings, and a plan's physics read back in each device's terms."""

from .catalogue import Device, catalogue, for_modality, get
from .resolve import load_scenario, scenario_from_dict

__all__ = ["Device", "catalogue", "for_modality", "get", "load_scenario", "scenario_from_dict"]
