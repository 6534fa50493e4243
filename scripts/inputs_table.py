"""Write docs/inputs.md from the input models (``make validation`` runs it too)."""

from __future__ import annotations

from pathlib import Path

from dermalase.inputs import docs_page

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    (ROOT / "docs" / "inputs.md").write_text(docs_page(), encoding="utf-8")
    print("wrote docs/inputs.md")


if __name__ == "__main__":
    main()
