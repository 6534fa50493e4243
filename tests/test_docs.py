"""The documentation site (issue 35): `mkdocs build --strict` with every tutorial run, offline;
and strict mode does fail on a tutorial that raises and on a broken link."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="the docs extra (make installs it)")
pytest.importorskip("markdown_exec", reason="the docs extra (make installs it)")

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ("scenario", "co2-vs-erbium", "sweep", "monte-carlo", "plan", "devices")


def _build(config: Path, site: Path, env_extra: dict | None = None):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                           str(config), "-d", str(site)], capture_output=True, text=True,
                          timeout=600, cwd=config.parent, env=env)


def _text(html: str) -> str:
    import html as h

    return h.unescape(re.sub(r"<[^>]+>", "", html))


def test_the_site_builds_in_strict_mode_with_every_tutorial_run_and_nothing_fetched(tmp_path):
    site = tmp_path / "site"
    r = _build(ROOT / "mkdocs.yml", site, {"DERMALASE_CACHE": str(tmp_path / "store")})
    assert r.returncode == 0, r.stdout + r.stderr
    pages = {name: (site / "tutorials" / f"{name}.html").read_text() for name in TUTORIALS}
    for name, page in pages.items():
        assert "Traceback" not in page, name
    # what the code printed is in the pages (the tutorials ran, with this version's numbers)
    assert "<Result of 'erbium-peel-cheek': ablation depth" in _text(pages["scenario"])
    assert "cluster at tcp://127.0.0.1:" in _text(pages["sweep"])
    assert "serial (chosen:" in _text(pages["sweep"])
    assert "adding-doubling 0." in _text(pages["monte-carlo"])
    assert "<Plan for 'perioral-wrinkles-type-II'" in _text(pages["plan"])
    assert "sciton-contour-trl" in _text(pages["devices"])
    for name in ("scenario", "co2-vs-erbium", "sweep", "monte-carlo"):
        assert "data:image/png;base64," in pages[name], name  # its figure
    for page in ("design", "validation", "inputs", "reference/api", "reference/cli"):
        assert (site / f"{page}.html").exists(), page
    assert "dermalase.api.plan" in (site / "reference" / "api.html").read_text()
    # offline: no page loads anything from another host (fonts, scripts, styles)
    for html in site.rglob("*.html"):
        text = html.read_text()
        assert not re.search(r"<(link|script)[^>]+(href|src)=\"(https?:)?//", text), html
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, html


@pytest.mark.parametrize(("page", "why"), [
    ('```python exec="on"\nraise ValueError("a broken example")\n```\n', "raises"),
    ("See [the missing page](nowhere.md).\n", "broken link"),
])
def test_strict_mode_fails_a_broken_example_and_a_broken_link(tmp_path, page, why):
    config = (ROOT / "mkdocs.yml").read_text()
    config = re.sub(r"\nnav:.*", "\n", config, flags=re.S)  # only the page below
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(f"# Test\n\n{page}")
    (tmp_path / "mkdocs.yml").write_text(config)
    shutil.copytree(ROOT / "src", tmp_path / "src")  # mkdocstrings' path
    r = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert r.returncode != 0, why
