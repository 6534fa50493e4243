"""The HTML report in a real browser (issue 12): headless Chromium from Debian's packages,
driven by Playwright, shows every concern, the complete plan and the three distinct recovery
figures; a screenshot is saved under out/. `make test` installs Chromium when it is missing
(as root, from Debian's packages); elsewhere the test is skipped with the reason."""

import shutil
from pathlib import Path

import pytest

from dermalase.planner import Patient, plan
from dermalase.planner.cases import patient_dict
from dermalase.planner.html import render

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OUT = Path(__file__).resolve().parents[2] / "out"


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium (Debian package 'chromium') not installed")
def test_report_in_chromium_shows_every_concern_and_the_complete_plan(tmp_path):
    d = patient_dict(2, (("wrinkles", 3, "perioral"), ("acne-scars", 3, "cheek", "rolling")),
                     sessions=3)
    d["name"] = "two concerns <script>alert(1)</script>"
    page_file = tmp_path / "plan.html"
    page_file.write_text(render(plan(Patient.from_dict(d))), encoding="utf-8")
    OUT.mkdir(exist_ok=True)
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            dialogs = []
            page.on("dialog", lambda dlg: (dialogs.append(dlg.message), dlg.dismiss()))
            page.goto(page_file.as_uri())
            concerns = page.locator("section.concern")
            assert concerns.count() == 2
            assert "wrinkles" in concerns.nth(0).locator("h2").inner_text()
            assert "acne-scars" in concerns.nth(1).locator("h2").inner_text()
            for i in range(2):
                sec = concerns.nth(i)
                rec = sec.locator(".recommendation")
                assert rec.count() == 1, f"concern {i + 1} has no recommendation"
                for cls in ("settings", "sessions", "improvement", "steps", "risks"):
                    assert rec.locator(f".{cls}").first.is_visible(), cls
                # three distinct recovery figures, each with its own row and value
                rows = {cls: rec.locator(f"tr.{cls}").inner_text()
                        for cls in ("reepithelialization", "downtime", "erythema")}
                assert "model" in rows["reepithelialization"]
                assert "social downtime" in rows["downtime"] and " d" in rows["downtime"]
                assert "erythema" in rows["erythema"]
                assert len(set(rows.values())) == 3
                assert sec.locator(".summary").inner_text().startswith("For the patient:")
            assert page.locator(".concern#concern-1 .adjuncts li").first.inner_text() \
                .startswith("subcision")
            assert page.locator("section.combined li").count() >= 1
            assert page.locator("img").count() >= 2  # figures render
            assert not dialogs  # the patient's name was escaped, no script ran
            page.screenshot(path=str(OUT / "plan-report.png"), full_page=True)
        finally:
            browser.close()
    assert (OUT / "plan-report.png").stat().st_size > 10_000


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium (Debian package 'chromium') not installed")
def test_face_map_renders_in_chromium_under_a_strict_csp(tmp_path):
    """The face map (issue 33) inlined in a page whose Content-Security-Policy allows nothing
    (no script, no style, no image, no font): every unit is drawn, with the colour of its
    treatment, and the browser reports no blocked resource."""
    from dermalase.planner.cases import FACE_CASES
    from dermalase.report.facemap import face_map_svg

    out = plan(Patient.from_dict(FACE_CASES[1].patient))
    page_file = tmp_path / "map.html"
    page_file.write_text("<!doctype html><html><head><meta charset='utf-8'><meta "
                         "http-equiv='Content-Security-Policy' content=\"default-src 'none'\">"
                         f"</head><body>{face_map_svg(out)}</body></html>", encoding="utf-8")
    rec = {u["unit"]: u for u in out["plans"][0]["recommended"]["units"]}
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 800, "height": 500})
            messages = []
            page.on("console", lambda m: messages.append(m.text))
            page.goto(page_file.as_uri())
            for name in rec:
                g = page.locator(f"g[data-unit='{name}'] polygon").first
                box = g.bounding_box()
                assert box and box["width"] > 3 and box["height"] > 3, name
            drawn = page.locator("g[data-unit='upper-lip'] polygon").first.evaluate(
                "p => getComputedStyle(p).fill")
            assert drawn.startswith("rgb(") and drawn != "rgb(238, 238, 238)"  # treated
            assert page.locator("text[data-legend]").count() >= len(rec)
            assert not [m for m in messages if "Content Security Policy" in m]
            page.screenshot(path=str(OUT / "face-map.png"))
        finally:
            browser.close()
