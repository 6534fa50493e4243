"""Command line: thin wrappers over the public API. Bad input exits 2 with one line."""

import os

# A command-line process loads no third-party pydantic plugins: looking for them scans the
# entry points of every installed distribution (~10 ms of each start). A user who wants them
# sets PYDANTIC_DISABLE_PLUGINS to an empty string (docs/design.md, "Start-up time").
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from . import outcomes as _outcomes  # noqa: F401 - registers outcomes (cli/outcomes.py)
from . import web as _web  # noqa: F401 - registers serve and users (cli/web.py)
from .main import main

__all__ = ["main"]
