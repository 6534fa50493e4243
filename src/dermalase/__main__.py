"""``python -m dermalase``: the command line (dermalase.cli)."""

from .cli import main

main()
