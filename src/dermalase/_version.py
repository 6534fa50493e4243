"""The package's version: the one source of truth (pyproject.toml reads it with setuptools'
``attr:``), a literal so that importing it costs nothing (importlib.metadata added ~35 ms to
every command-line start)."""

__version__ = "0.1.0"
