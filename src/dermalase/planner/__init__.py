"""Treatment planner (issue 6): patient file -> rules -> physics-backed settings -> ranking."""

from .patient import Patient
from .plan import plan

__all__ = ["Patient", "plan"]
