"""Command line: thin wrappers over the public API. Bad input exits 2 with one line."""

from .main import main

__all__ = ["main"]
