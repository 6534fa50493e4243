"""Command line: thin wrappers over the public API. Bad input exits 2 with one line."""

from . import outcomes as _outcomes  # noqa: F401 - registers outcomes (cli/outcomes.py)
from . import web as _web  # noqa: F401 - registers serve and users (cli/web.py)
from .main import main

__all__ = ["main"]
