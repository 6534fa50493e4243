"""Figures and reports."""

from .figures import (
                      cross_section_figure,
                      healing_figure,
                      pattern_figure,
                      png_bytes,
                      treatment_figure,
)

__all__ = ["cross_section_figure", "healing_figure", "pattern_figure", "png_bytes",
           "treatment_figure"]
