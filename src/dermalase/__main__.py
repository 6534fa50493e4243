"""``python -m dermalase``: the command line."""

from .cli import main

main()
