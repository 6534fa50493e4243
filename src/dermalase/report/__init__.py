"""Figures and reports. The face map of a plan (``dermalase.report.facemap.face_map_svg``,
issue 33) and the patient's documents (``dermalase.report.documents``) render a plan, so they
sit in the planner's layer (tests/test_architecture.py) and are imported from their modules."""

from .figures import (
                      cross_section_figure,
                      healing_figure,
                      pattern_figure,
                      png_bytes,
                      treatment_figure,
)

__all__ = ["cross_section_figure", "healing_figure", "pattern_figure", "png_bytes",
           "treatment_figure"]
