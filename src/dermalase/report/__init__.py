"""Figures and reports. The face map of a plan (``dermalase.report.facemap.face_map_svg``,
issue 33) and the patient's documents (``dermalase.report.documents``) render a plan, so they
sit in the planner's layer (tests/test_architecture.py) and are imported from their modules."""

from typing import Any

__all__ = ["cross_section_figure", "healing_figure", "pattern_figure", "png_bytes",
           "treatment_figure"]


def __getattr__(name: str) -> Any:
    """The figures on first use: importing ``dermalase.report.facemap`` or ``.documents`` (a
    plan's terminal output, a warm plan) does not load matplotlib (PEP 562)."""
    if name in __all__:
        from . import figures

        return getattr(figures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
