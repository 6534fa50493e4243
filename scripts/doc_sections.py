"""Generated sections of docs/validation.md, each between its own start and end markers."""

from __future__ import annotations

from pathlib import Path

VALIDATION = Path(__file__).resolve().parents[1] / "docs" / "validation.md"


def replace_section(lines: list[str], start: str, end: str, path: Path = VALIDATION) -> None:
    """Put ``lines`` (which begin with ``start`` and end with ``end``) in place of the section
    between those markers, or append them when the file has none."""
    text = path.read_text(encoding="utf-8")
    section = "\n".join(lines)
    if start in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def publish(lines: list[str], start: str, end: str) -> int:
    """Write ``lines`` as their section of docs/validation.md and print them; exit status 0."""
    replace_section(lines, start, end)
    print("\n".join(lines))
    return 0
