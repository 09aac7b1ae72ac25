"""The report-out of a week review: one self-contained HTML page (nothing fetched: no URL, no
link, no script), user text escaped, the sections and numbers of the hand-built ward of
test_review, an XmR chart per measure; the identifier check that stops the report and says
where; the Markdown report; and `huddle-board report` (bad week, missing file, the file written
whole or not at all)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from huddle_board import cli, privacy
from huddle_board.clock import FixedClock
from huddle_board.db import commands, connect, open_store
from huddle_board.db.commands import IdeaDraft
from huddle_board.report import (
    ReportRefused,
    check_identifiers,
    render_html,
    render_markdown,
    write_report,
)
from huddle_board.review import WeekReview, week_review
from tests.unit.test_review import (
    MONDAY,
    WARD,
    at,
    build_actions,
    build_huddles,
    build_ideas,
    build_measures,
)

MADE = dt.date(2026, 11, 26)
CHI = "0101701233"  # a CHI number (date of birth 01/01/70, modulus 11 check)
NHS = "943 476 5919"  # an NHS number, written 3-3-4
MARKUP = '<script>alert("x")</script> & <b>bold</b> [red]'


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ward of test_review, plus an idea with markup-like text raised in the week."""
    path = tmp_path_factory.mktemp("report") / "ward.db"
    db, health = open_store(path)
    assert health.ok
    commands.set_ward(db, WARD, "Ward 7A <Respiratory> & Co", FixedClock(dt.datetime(2026, 8, 1)))
    build_measures(db)
    build_ideas(db)
    build_huddles(db)
    build_actions(db)
    commands.add_idea(db, at(dt.date(2026, 11, 18)), IdeaDraft("Tags " + MARKUP, MARKUP))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def ward(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ward.db"
    shutil.copy(template, path)
    return path


@pytest.fixture
def db(ward: Path) -> Iterator[Database]:
    database = connect(ward)
    yield database
    database.close()


@pytest.fixture
def review(db: Database) -> WeekReview:
    return week_review(db, MONDAY)


def sneak_in(path: Path, sql: str, *params: str) -> None:
    """Write past the board's own checks, as text synced from an older kiosk might arrive."""
    conn = sqlite3.connect(path)
    with conn:
        assert conn.execute(sql, params).rowcount == 1
    conn.close()


def text_of(page: str) -> str:
    """The page's visible text, roughly: tags removed, entities read."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# -- HTML -------------------------------------------------------------------------------------


def test_the_page_is_self_contained(review: WeekReview) -> None:
    page = render_html(review, generated_on=MADE)
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    for outside in ("http:", "https:", "//", "<link", "<script", "src=", "url(", "@import"):
        if outside == "//":
            # No protocol-relative reference anywhere (an attribute value starting //).
            assert not re.search(r"""=["']//""", lowered)
            continue
        assert outside not in lowered, outside
    assert "<style>" in page and "@page { size: A4 landscape" in page
    assert "break-before: page" in page


def test_user_text_is_escaped_never_markup(review: WeekReview) -> None:
    page = render_html(review, generated_on=MADE)
    assert "<script" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "Ward 7A &lt;Respiratory&gt; &amp; Co" in page
    assert MARKUP in text_of(page)


def test_control_characters_are_made_visible(ward: Path) -> None:
    sneak_in(
        ward, "UPDATE ideas SET problem = ? WHERE title = ?", "a\x1b[2Jb\u202e", "Quieter nights"
    )
    db = connect(ward)
    page = render_html(week_review(db, MONDAY))
    db.close()
    assert "\x1b" not in page and "\u202e" not in page
    assert "a\u241b[2Jb\u2370" in page


def test_the_sections_and_numbers(review: WeekReview) -> None:
    page = render_html(review, generated_on=MADE)
    text = " ".join(text_of(page).split())
    for heading in (
        "Week review 2026-W47: 16 Nov – 22 Nov 2026",
        "Made 26 Nov 2026 by huddle-board",
        "Box score",
        "XmR charts",
        "Ideas and PDSA tests",
        "Ideas funnel",
        "Ideas that changed status this week",
        "PDSA cycles started this week",
        "PDSA cycles finished this week",
        "PDSA cycles open at 22 Nov",
        "Actions",
        "Overdue at 22 Nov",
        "Huddles and attendance",
    ):
        assert heading in text, heading
    # Falls: 3 the week before, 9 this week, above the upper limit (5.66), target 2 missed.
    assert re.search(
        r"Falls \(falls\) SC 2 3 9 \+6 ✘ missed "
        r"H Concern \(high\) \? Hit and miss above the upper limit",
        text,
    )
    assert "Still missing for this week: Discharges before noon (MO)." in text
    assert "38% (5 Oct) not due (every 8 weeks); last 38% on 5 Oct – · not due" in text
    assert "6 of 7 days with a daily safety huddle" in text
    assert "1 of 1 weekly value-management huddle" in text
    assert "8.0 average attendance at daily huddles" in text
    assert "No daily huddle on: Thu 19 Nov." in text
    assert "2 / 1 actions opened / closed" in text
    assert "2 actions overdue at 22 Nov" in text
    assert "2 raised and 1 closed this week; 4 open and 2 overdue at 22 Nov 2026." in text
    assert "Overdue and still open SC 10 Nov 12" in text  # 12 days overdue on 22 Nov
    assert "1 measures with a special cause this week (1 concern)" in text
    assert "Rule set" not in text and "Making Data Count (NHSRplotthedots)" in text
    # The funnel: New 2 (with the tagged idea), In test 2, Adopted 1, Parked 2, Abandoned 0.
    assert re.search(r"New 2 In test 2 Adopted 1 Parked 2 Abandoned 0 All ideas 7", text)
    assert "1 of them changed status after the week." in text


def test_a_chart_per_measure_with_its_lines(review: WeekReview) -> None:
    page = render_html(review)
    charts = re.findall(r'<svg class="chart".*?</svg>', page, flags=re.S)
    assert len(charts) == 4  # every measure has values
    falls = next(chart for chart in charts if "XmR chart of Falls:" in chart)
    # Mean 3.0 and limits 0.3 to 5.7 (one more decimal for a count), target 2.
    for label in ("UPL 5.7", "Mean 3.0", "LPL 0.3", "Target 2"):
        assert f">{label}</text>" in falls, label
    # 13 common-cause points (circles) and this week's 9 as a concern (an orange square),
    # ringed as this week's point.
    assert falls.count('r="2.2" fill="#7b7d7d"') == 13
    assert falls.count("<rect x=") == 2  # the plot area and the one concern point
    assert 'fill="#fab428"' in falls and "(above the upper limit)" in falls
    assert 'r="6" fill="none"' in falls
    # The variation and assurance icons carry a letter and a word, not colour alone.
    assert re.search(r'fill="#fab428"/><text[^>]*>H</text></svg>Concern \(high\)', page)
    assert re.search(r"<text[^>]*>\?</text></svg>Hit and miss", page)


def test_a_chart_shows_a_rebase(db: Database) -> None:
    falls_id = next(
        r.measure.id for r in week_review(db, MONDAY).measures if r.measure.name == "Falls"
    )
    rebased = week_review(db, MONDAY, rebases={falls_id: [(dt.date(2026, 11, 9), "Sensors <2>")]})
    page = render_html(rebased)
    assert "<title>Rebased: Sensors &lt;2&gt;</title>" in page
    assert "trial limits" in page


def test_chart_weeks_limits_the_points_drawn(review: WeekReview) -> None:
    page = render_html(review, chart_weeks=5)
    falls = next(
        c for c in re.findall(r'<svg class="chart".*?</svg>', page, flags=re.S) if "Falls:" in c
    )
    assert falls.count('r="2.2" fill="#7b7d7d"') == 4
    assert "The last 5 weeks of each measure" in page


def test_long_lists_are_cut_and_say_how_many_more(review: WeekReview) -> None:
    many = dataclasses.replace(
        review, actions=dataclasses.replace(review.actions, opened=review.actions.opened * 20)
    )
    page = render_html(many)
    assert page.count("<td>Raised in the week</td>") == 12  # 25 of 40 rows, every other one
    assert "… and 15 more, not shown here (the board lists them all)." in page
    text = render_markdown(many)
    assert text.count("| Raised in the week |") == 12
    assert "_… and 15 more, not shown here (the board lists them all)._" in text
    assert "more, not shown" not in render_html(review)


# -- the identifier check ---------------------------------------------------------------------


def test_an_identifier_stops_the_report_and_says_where(ward: Path) -> None:
    assert privacy.identifier_kind(CHI) == "chi"
    sneak_in(
        ward,
        "UPDATE ideas SET problem = ? WHERE title = ?",
        f"Bed 4 patient {CHI} missed lunch",
        "Protected mealtimes",
    )
    db = connect(ward)
    review = week_review(db, MONDAY)
    db.close()
    for render in (render_html, render_markdown):
        with pytest.raises(ReportRefused) as refused:
            render(review)
        assert refused.value.problems == (
            "idea 'Protected mealtimes', field problem: looks like a CHI number (characters 15–24)",
        )
        assert "The report was not made" in str(refused.value)


def test_an_identifier_in_a_title_is_not_repeated_in_the_message(ward: Path) -> None:
    sneak_in(ward, "UPDATE ideas SET title = ? WHERE title = ?", f"For {NHS}", "Quieter nights")
    sneak_in(
        ward, "UPDATE actions SET text = ? WHERE text = ?", f"Call re {CHI}", "Raised in the week"
    )
    db = connect(ward)
    review = week_review(db, MONDAY)
    db.close()
    with pytest.raises(ReportRefused) as refused:
        check_identifiers(review)
    problems = refused.value.problems
    assert problems == (
        "the idea raised on 2026-11-20 by JM, field title: looks like an NHS number "
        "(characters 5–16)",
        "the action owned by SC, raised 2026-11-17, due 2026-11-30, field text: looks like a "
        "CHI number (characters 9–18)",
    )
    assert "5919" not in str(refused.value) and CHI not in str(refused.value)


def test_every_free_text_is_checked(ward: Path) -> None:
    """One identifier in each kind of free text the report shows: each is found."""
    places = [
        ("UPDATE ward SET name = ?", "the ward, field name"),
        ("UPDATE measures SET unit = ? WHERE name = 'Falls'", "measure 'Falls', field unit"),
        ("UPDATE pdsa_cycles SET study = ? WHERE number = 1 AND plan = 'Bay 2'", "field study"),
        ("UPDATE pdsa_cycles SET plan = ? WHERE plan = 'Clerk answers'", "field plan"),
        (
            "UPDATE actions SET escalation_reason = ? WHERE text = 'Overdue and still open'",
            "field escalation reason",
        ),
    ]
    for sql, _ in places:
        sneak_in(ward, sql, f"see {CHI}")
    db = connect(ward)
    review = week_review(db, MONDAY)
    db.close()
    with pytest.raises(ReportRefused) as refused:
        check_identifiers(review)
    assert len(refused.value.problems) == len(places)
    for (_, where), problem in zip(places, refused.value.problems, strict=True):
        assert where in problem


# -- Markdown ---------------------------------------------------------------------------------


def test_markdown_has_the_same_tables_and_says_charts_are_left_out(review: WeekReview) -> None:
    text = render_markdown(review, generated_on=MADE)
    assert text.startswith("# Ward 7A \\<Respiratory\\> \\& Co: week review 2026-W47\n")
    assert "The XmR charts are left out of the Markdown report" in text
    assert "| Measure | Owner | Target | Week before | This week | Change |" in text
    assert "| **Performance** |" in text
    assert (
        "| Falls (falls) | SC | 2 | 3 | 9 | +6 | ✘ missed | (H) Concern (high) "
        "| (?) Hit and miss | above the upper limit |" in text
    )
    assert "Still missing for this week: Discharges before noon (MO)." in text
    # A sparkline of the last 26 weeks: Falls has 14 values, 3s and 2s, then the 9.
    assert "| Falls | ▂▁▂▁▂▁▂▁▂▁▂▁▂█ | 3.0 | 0.3 to 5.7 |" in text
    assert "| Direct care time | " in text and "·······" in text
    assert "## Huddles and attendance" in text and "No daily huddle on: Thu 19 Nov." in text
    assert "- **2** actions overdue at 22 Nov" in text


def test_markdown_escapes_user_text(review: WeekReview) -> None:
    text = render_markdown(review)
    escaped = '\\<script\\>alert("x")\\</script\\> \\& \\<b\\>bold\\</b\\> \\[red\\]'
    assert f"Tags {escaped}" in text
    assert re.search(r"(?<!\\)<", text) is None  # every < escaped: no HTML gets through
    assert "\\|" not in text  # no user text here holds a pipe; tables keep their columns
    for line in text.splitlines():
        if line.startswith("| Tags"):
            assert line.count(" | ") == 7  # eight columns


# -- writing the file -------------------------------------------------------------------------


def test_write_report_is_whole_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    write_report(target, "first")
    assert target.read_text() == "first"
    with pytest.raises(UnicodeEncodeError):
        write_report(target, "second \ud800")  # cannot be encoded: fails half way
    assert target.read_text() == "first"
    assert [path.name for path in tmp_path.iterdir()] == ["report.html"]


# -- the command line -------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["report", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_writes_the_html_report(
    ward: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code, said, _ = run(capsys, "--db", str(ward), "--week", "2026-W47", "--out", str(out))
    assert code == 0
    assert said == f"Week review 2026-W47 of Ward 7A <Respiratory> & Co written to {out}.\n"
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "above the upper limit" in page
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


def test_cli_writes_markdown(
    ward: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    by_flag = tmp_path / "report.txt"
    code, _, _ = run(
        capsys, "--db", str(ward), "--week", "2026-11-18", "--out", str(by_flag), "--format", "md"
    )
    assert code == 0 and by_flag.read_text().startswith("# Ward 7A")
    by_name = tmp_path / "report.md"
    code, _, _ = run(capsys, "--db", str(ward), "--week", "2026-W47", "--out", str(by_name))
    assert code == 0 and by_name.read_text() == by_flag.read_text()


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2026-W99", "'2026-W99' is not a week: 2026 has no week 99."),
        ("next week", "'next week' is not a week: write an ISO week like 2026-W47"),
        ("2999-W01", "2999-W01 has not started yet"),
    ],
)
def test_cli_refuses_a_bad_week(
    ward: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], week: str, message: str
) -> None:
    out = tmp_path / "report.html"
    code, said, err = run(capsys, "--db", str(ward), "--week", week, "--out", str(out))
    assert code == 2 and said == ""
    assert err.startswith("huddle-board: ") and message in err
    assert not out.exists()


def test_cli_refuses_a_missing_board(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    code, _, err = run(
        capsys, "--db", str(missing), "--week", "2026-W47", "--out", str(tmp_path / "r.html")
    )
    assert code == 2 and err == f"huddle-board: {missing} does not exist.\n"
    assert not missing.exists()


def test_cli_identifier_stop_leaves_the_old_file(
    ward: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sneak_in(
        ward, "UPDATE ideas SET problem = ? WHERE title = ?", f"re {CHI}", "Protected mealtimes"
    )
    out = tmp_path / "report.html"
    out.write_text("last week's report")
    code, said, err = run(capsys, "--db", str(ward), "--week", "2026-W47", "--out", str(out))
    assert code == 2 and said == ""
    assert "idea 'Protected mealtimes', field problem: looks like a CHI number" in err
    assert CHI not in err
    assert out.read_text() == "last week's report"
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".part")]


def test_cli_unwritable_folder(
    ward: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing-folder" / "report.html"
    code, _, err = run(capsys, "--db", str(ward), "--week", "2026-W47", "--out", str(out))
    assert code == 2
    assert f"{out} could not be written" in err and "nothing was written" in err


def test_cli_help_names_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert (
        "huddle-board report --db board.db --week 2026-W47 --out report.html"
        in capsys.readouterr().out
    )
    with pytest.raises(SystemExit) as exit_:
        cli.main(["report", "--week", "2026-W47", "--out", "r.html", "--format", "pdf"])
    assert exit_.value.code == 2
