"""The week's report-out of the demo ward opened in headless Chromium: the page loads from its
file without asking for anything else, shows its sections and the box score, draws an XmR chart
per measure, is screenshotted (kept under the test's tmp_path), and prints to an A4 landscape
PDF (issue 5, report-out)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from huddle_board.clock import FixedClock
from huddle_board.db import open_store
from huddle_board.demo import DEMO_NAME, build_demo_ward
from huddle_board.report import render_html, write_report
from huddle_board.review import week_review
from tests.support.browser import chromium_page, require_chromium

NOW = dt.datetime(2026, 11, 26, 9, 0)
WEEK = dt.date(2026, 11, 16)  # 2026-W47, the last whole week before NOW
MEASURES = 13  # the demo ward's box score
A4_LANDSCAPE_POINTS = (842, 595)  # 297 × 210 mm in PDF points, rounded


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_chromium()
    folder = tmp_path_factory.mktemp("report-browser")
    db, _ = open_store(folder / "demo.db")
    try:
        build_demo_ward(db, clock=FixedClock(NOW))
        review = week_review(db, WEEK, today=NOW.date())
    finally:
        db.close()
    path = folder / "report.html"
    write_report(path, render_html(review, generated_on=NOW.date()))
    return path


def test_the_report_opens_draws_and_prints(report: Path, tmp_path: Path) -> None:
    requests: list[str] = []
    with chromium_page() as page:
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.as_uri(), wait_until="load")
        text = page.inner_text("body")
        charts = page.locator("svg.chart").count()
        icons = page.locator("span.icon svg").count()
        first_chart = page.locator("svg.chart").first.bounding_box()
        shot = tmp_path / "report.png"
        page.screenshot(path=shot, full_page=True)
        pdf = page.pdf(format="A4", landscape=True, print_background=True)
    # Nothing but the file itself was asked for.
    assert requests == [report.as_uri()]
    for words in (
        DEMO_NAME,
        "Week review 2026-W47: 16 Nov – 22 Nov 2026",
        "Box score",
        "PERFORMANCE",
        "CAPACITY",
        "COST",
        "Falls with harm",
        "Cost per patient per week",
        "XmR charts",
        "Ideas funnel",
        "PDSA cycles started this week",
        "Overdue at 22 Nov",
        "Huddles and attendance",
        "days with a daily safety huddle",
        "Making Data Count (NHSRplotthedots)",
    ):
        assert words in text, words
    assert re.search(r"Common cause|Improvement|Concern", text)
    assert charts == MEASURES
    assert icons >= 2 * MEASURES  # variation and assurance in the box score, and per chart
    assert first_chart is not None and first_chart["width"] > 200 and first_chart["height"] > 60
    assert shot.stat().st_size > 50_000  # a real picture, not a blank page
    assert pdf.startswith(b"%PDF")
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    # One page each at least for the box score, the charts, ideas and PDSA, and actions (each
    # section starts a page), every one of them A4 landscape (Chromium rounds up a point).
    assert len(sizes) >= 4
    for width, height in sizes:
        assert abs(float(width) - A4_LANDSCAPE_POINTS[0]) <= 2
        assert abs(float(height) - A4_LANDSCAPE_POINTS[1]) <= 2
