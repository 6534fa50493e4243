"""Figures and reports; the face map of a plan (``face_map_svg``, issue 33) for the command
line, the HTML report, the documents and the web application."""

from .facemap import face_map_svg, face_map_text
from .figures import (
                      cross_section_figure,
                      healing_figure,
                      pattern_figure,
                      png_bytes,
                      treatment_figure,
)

__all__ = ["cross_section_figure", "face_map_svg", "face_map_text", "healing_figure",
           "pattern_figure", "png_bytes", "treatment_figure"]
