"""The week's report-out, for peers, service managers and executive sponsors: one self-contained
HTML file (inline CSS and SVG, nothing fetched) that prints on A4 landscape, or Markdown.

What it shows, from a `review.WeekReview`: the box score with each measure's change, target,
variation and assurance (a glyph, a word and a colour: colour is never alone), an XmR chart per
measure in the Making Data Count colours with a marker shape per kind of point, the ideas
funnel, the PDSA log, actions and huddle attendance. Markdown has the same tables; its charts
are left out, with a text sparkline per measure instead (and it says so).

Every free text that goes into the report passes the patient-identifier check first
(`check_identifiers`): a hit stops the report with `ReportRefused`, which says where each hit
is, and nothing is returned to write. Huddle notes never go into a report. User text is made
printable (`privacy.printable`) and escaped for HTML or Markdown; it is never markup.

Here: `render_markdown`, writing a report (`write_report`), and the way in for callers. The
HTML and its charts are in `report_html`; the check, words and tables both formats (and the
week review screen) share are in `report_content`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from pathlib import Path

from huddle_board import privacy
from huddle_board.report_content import (
    SPARK_WEEKS,
    Band,
    Cell,
    Icon,
    ReportRefused,
    Table,
    action_tables,
    actions_line,
    attendance_table,
    box_score_table,
    check_identifiers,
    days_without,
    footer_text,
    funnel_note,
    funnel_table,
    headline,
    huddles_table,
    idea_tables,
    line_value,
    made_by,
    missing_line,
    period_label,
    sparkline,
)
from huddle_board.report_html import render_html
from huddle_board.review import WeekReview

__all__ = ["ReportRefused", "check_identifiers", "render_html", "render_markdown", "write_report"]


def write_report(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: into a temporary file beside it, flushed to
    disk, then renamed over `path`; on any failure the temporary file is removed and `path`
    is left as it was."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# -- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|~&#"})


def _md(text: str) -> str:
    """User text for Markdown: printable, on one line, with every character that Markdown or
    HTML would read escaped by a backslash."""
    flat = " ".join(privacy.printable(text).split())
    return flat.translate(_MD_SPECIAL)


def _md_cell(cell: Cell) -> str:
    if isinstance(cell, Icon):
        return f"({_md(cell.letter)}) {_md(cell.word)}" if cell.letter else _md(cell.word)
    return _md(cell)


def _md_table(table: Table) -> list[str]:
    if not table.rows:
        return [f"_{_md(table.empty)}_", ""]
    align = ["---:" if n in table.numeric else "---" for n in range(len(table.head))]
    lines = [
        "| " + " | ".join(_md(title) for title in table.head) + " |",
        "| " + " | ".join(align) + " |",
    ]
    for row in table.shown:
        if isinstance(row, Band):
            cells = [f"**{_md(row.title)}**", *([""] * (len(table.head) - 1))]
        else:
            cells = [_md_cell(cell) for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    more = [f"_{_md(table.more)}_", ""] if table.more else []
    return [*lines, "", *more]


def render_markdown(
    review: WeekReview, *, generated_on: dt.date | None = None, spark_weeks: int = SPARK_WEEKS
) -> str:
    """The report as Markdown: the same tables, and a text sparkline in place of each chart
    (ReportRefused on a patient identifier)."""
    check_identifiers(review)
    made = made_by(generated_on)
    lines = [
        f"# {_md(review.ward.name)}: week review {review.label}",
        "",
        f"{_md(period_label(review))} · ward {_md(review.ward.code)} · {made}",
        "",
        f"> The XmR charts are left out of the Markdown report: each measure has a text "
        f"sparkline of its last {spark_weeks} weeks below (· is a missing week). The HTML "
        "report (--format html) has the charts.",
        "",
        "## At a glance",
        "",
        *(f"- **{_md(figure)}** {_md(words)}" for figure, words in headline(review)),
        "",
        "## Box score",
        "",
        "Icons: (H) high, (L) low side of the mean; (P) consistently passes, (F) consistently "
        "fails, (?) hit and miss the target.",
        "",
        *_md_table(box_score_table(review)),
        _md(missing_line(review)),
        "",
        *_md_table(_spark_table(review, spark_weeks)),
        "## Ideas and PDSA tests",
        "",
        "### Ideas funnel",
        "",
        *_md_table(funnel_table(review)),
        _md(funnel_note(review)),
        "",
        *_titled_md(idea_tables(review)),
        "## Actions",
        "",
        _md(actions_line(review)),
        "",
        *_titled_md(action_tables(review)),
        "## Huddles and attendance",
        "",
        *_md_table(attendance_table(review)),
        _md(days_without(review.daily)),
        "",
        *_md_table(huddles_table(review)),
        "---",
        "",
        _md(footer_text(review)),
    ]
    return "\n".join(lines) + "\n"


def _titled_md(tables: list[tuple[str, Table]]) -> list[str]:
    return [line for title, table in tables for line in (f"### {title}", "", *_md_table(table))]


def _spark_table(review: WeekReview, weeks: int) -> Table:
    rows: list[tuple[Cell, ...] | Band] = []
    for row in review.measures:
        analysis = row.analysis
        limits = "–"
        if analysis is not None and analysis.upper_limit is not None:
            lower, upper = analysis.lower_limit, analysis.upper_limit
            limits = f"{line_value(row.measure, lower)} to {line_value(row.measure, upper)}"
            limits += " (trial)" if analysis.trial else ""
        mean = analysis.mean if analysis is not None else None
        rows.append(
            (row.measure.name, sparkline(row, weeks), line_value(row.measure, mean), limits)
        )
    head = ("Measure", f"Last {weeks} weeks", "Mean", "Process limits")
    return Table(head, rows, frozenset({2}), "No measures on the box score yet.", None)
