"""`loadgen --html`: one self-contained page, opened in headless Chromium, whose charts drew the run: a
canary's share moving over time, throughput and latency, the status mix and the gates."""

import threading

from conftest import ROOT
from test_browser import browser  # noqa: F401  (the fixture)
from test_loadgen import loadgen

ARTIFACTS = ROOT / ".build-artifacts"
HOSTILE = '<img src=x onerror="document.title=1">'


def test_the_report_draws_a_canary_shift(split_server, browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    server = split_server(1.0, names=("v1", HOSTILE))
    # Halfway through, the "canary" takes half of the traffic.
    threading.Timer(2.0, lambda: setattr(server, "v1_share", 0.5)).start()
    page = tmp_path / "report.html"
    result = loadgen(server.url + "/fail/50", "--rate", 200, "--duration", "4s", "--quiet", "--html", page,
                     "--max-error-rate", 0.05)
    assert result.returncode == 0, result.stdout + result.stderr
    html = page.read_text()
    assert HOSTILE not in html and "&lt;img src=x onerror=&quot;" in html, "header values are escaped"

    browser.get(page.as_uri())
    assert browser.title == "loadgen report: pass"
    assert browser.execute_script("return document.querySelectorAll('[src], [href], script, link').length") == 0
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 3
    lines = browser.execute_script("""
        return [...document.querySelectorAll('polyline.series')].map(line => ({
            series: line.dataset.series, points: line.points.numberOfItems, width: line.getBBox().width}));""")
    assert {line["series"] for line in lines} == {"requests/s", "failed/s", "p50", "p99"}
    assert all(line["points"] >= 4 and line["width"] > 300 for line in lines), lines
    # Each area's thickness second by second: its top points first, then its bottom ones backwards.
    areas = browser.execute_script("""
        return [...document.querySelectorAll('polygon.series')].map(area => {
            const n = area.points.numberOfItems / 2, thickness = [];
            for (let i = 0; i < n; i++) thickness.push(area.points.getItem(2 * n - 1 - i).y - area.points.getItem(i).y);
            return {series: area.dataset.series, thickness}; });""")
    thickness = {area["series"]: area["thickness"] for area in areas}
    assert sorted(thickness) == sorted(["v1", HOSTILE]), "legend and areas show the raw text, as text"
    v1, canary = thickness["v1"], thickness[HOSTILE]
    plot = max(v1)
    assert v1[0] == plot and canary[0] == 0, "the first second is all v1"
    assert 0.3 * plot < canary[-1] < 0.7 * plot, f"the last second is about half canary: {canary}"
    statuses = [row.text.split()[0] for row in browser.find_elements(By.CSS_SELECTOR, "table.mix tr")]
    assert statuses == ["200", "500"]
    verdicts = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "table.gates td.verdict")]
    assert verdicts == ["pass"]

    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "loadgen-report.png"))
    assert (ARTIFACTS / "loadgen-report.png").stat().st_size > 20_000, "a blank page would be smaller"


def test_an_unwritable_report_is_a_usage_error():
    result = loadgen("http://127.0.0.1:1", "--html", "/nonexistent/dir/report.html", "--requests", 1)
    assert result.returncode == 2 and "cannot write /nonexistent/dir/report.html" in result.stderr
