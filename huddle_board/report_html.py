"""The report-out as one self-contained HTML file: inline CSS and an inline SVG XmR chart per
measure (in the Making Data Count colours, a marker shape per kind of point, so colour is never
alone), nothing fetched; it prints on A4 landscape. User text is escaped, never markup.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

from huddle_board import privacy, spc
from huddle_board.model import (
    IDEA_STATUS_TITLES,
    Measure,
)
from huddle_board.report_content import (
    COLOURS,
    INK,
    VARIATION,
    Band,
    Cell,
    Icon,
    Table,
    action_tables,
    actions_line,
    assurance_icon,
    attendance_table,
    box_score_table,
    check_identifiers,
    day_label,
    days_without,
    fmt_value,
    footer_text,
    funnel_note,
    headline,
    huddles_table,
    idea_tables,
    line_value,
    made_by,
    missing_line,
    period_label,
    signal_text,
    this_week_text,
    variation_icon,
)
from huddle_board.review import MeasureReview, WeekReview

CHART_WEEKS = 52

# -- HTML ------------------------------------------------------------------------------------------


def _e(text: str) -> str:
    """User text for HTML: control and invisible characters made visible, then escaped."""
    return html.escape(privacy.printable(text), quote=True)


def _icon_html(icon: Icon) -> str:
    colour, ink = COLOURS[icon.tone], INK[icon.tone]
    mark = (
        f'<text x="10" y="14.2" text-anchor="middle" font-size="12" font-weight="700" '
        f'fill="{ink}">{_e(icon.letter)}</text>'
        if icon.letter
        else f'<path d="M4.5 10h11" stroke="{ink}" stroke-width="2.2" stroke-linecap="round"/>'
    )
    return (
        f'<span class="icon"><svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">'
        f'<circle cx="10" cy="10" r="9.5" fill="{colour}"/>{mark}</svg>{_e(icon.word)}</span>'
    )


def _cell_html(cell: Cell) -> str:
    return _icon_html(cell) if isinstance(cell, Icon) else _e(cell)


def _table_html(table: Table, css: str = "") -> str:
    if not table.rows:
        return f'<p class="none">{_e(table.empty)}</p>'
    head = "".join(
        f"<th{' class=num' if n in table.numeric else ''}>{_e(title)}</th>"
        for n, title in enumerate(table.head)
    )
    body = []
    for row in table.shown:
        if isinstance(row, Band):
            body.append(
                f'<tr class="band"><th colspan="{len(table.head)}">{_e(row.title)}</th></tr>'
            )
            continue
        cells = "".join(
            f"<td{' class=num' if n in table.numeric else ''}>{_cell_html(cell)}</td>"
            for n, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    css_class = f' class="{css}"' if css else ""
    more = f'<p class="note">{_e(table.more)}</p>' if table.more else ""
    return (
        f"<table{css_class}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{more}"
    )


_CSS = """
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 277mm; padding: 6mm 4mm; color: #1d1d1b; background: #fff;
  font: 10pt/1.35 "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
header { display: flex; justify-content: space-between; align-items: flex-end; gap: 8mm;
  border-bottom: 3px solid #005eb8; padding-bottom: 2mm; margin-bottom: 4mm; }
h1 { font-size: 19pt; margin: 0; color: #005eb8; }
h1 small { display: block; font-size: 12pt; color: #1d1d1b; font-weight: 600; }
.meta { text-align: right; font-size: 9pt; color: #425563; }
h2 { font-size: 13pt; color: #005eb8; margin: 5mm 0 2mm; border-bottom: 1px solid #aeb7bd;
  break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 3mm 0 1mm; break-after: avoid; page-break-after: avoid; }
section.page { break-before: page; page-break-before: always; }
.glance { display: grid; grid-template-columns: repeat(5, 1fr); gap: 2mm; margin: 0 0 3mm;
  padding: 0; list-style: none; }
.glance li { border: 1px solid #d8dde0; border-left: 4px solid #005eb8; padding: 1.5mm 2mm;
  break-inside: avoid; }
.glance b { display: block; font-size: 15pt; line-height: 1.1; }
.glance span { font-size: 8.5pt; color: #425563; }
table { border-collapse: collapse; width: 100%; margin: 0 0 2mm; font-size: 9pt; }
thead { display: table-header-group; }
th, td { text-align: left; vertical-align: top; padding: 1.2mm 1.6mm;
  border-bottom: 1px solid #d8dde0; }
thead th { background: #e8edee; font-weight: 600; }
tr { break-inside: avoid; page-break-inside: avoid; }
tr.band th { background: #005eb8; color: #fff; font-size: 9pt; letter-spacing: 0.04em;
  text-transform: uppercase; padding: 0.8mm 1.6mm; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.icon { display: inline-flex; align-items: center; gap: 1mm; white-space: nowrap; }
.icon svg { flex: none; }
.none, .note { color: #425563; font-style: italic; margin: 1mm 0 2mm; }
.legend { display: flex; flex-wrap: wrap; gap: 2mm 5mm; font-size: 8.5pt; margin: 0 0 2mm;
  align-items: center; }
.legend span { display: inline-flex; align-items: center; gap: 1mm; }
.charts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3mm 4mm; }
figure { margin: 0; border: 1px solid #d8dde0; padding: 1.5mm 2mm 1mm; break-inside: avoid;
  page-break-inside: avoid; }
figcaption { font-size: 8.5pt; }
figcaption b { display: block; font-size: 9.5pt; }
figure svg.chart { display: block; width: 100%; height: auto; }
.funnel { display: grid; grid-template-columns: 22mm 1fr 12mm; gap: 1mm 2mm; max-width: 150mm;
  align-items: center; margin: 1mm 0; }
.funnel .stage { display: contents; }
.funnel .bar { height: 4mm; background: #e8edee; }
.funnel .bar i { display: block; height: 100%; background: #005eb8; min-width: 0.5mm; }
.funnel b { text-align: right; font-variant-numeric: tabular-nums; }
.funnel .all span, .funnel .all b { border-top: 1px solid #aeb7bd; padding-top: 0.5mm; }
table.box-score td:first-child { min-width: 48mm; }
table.box-score td:nth-child(6), table.box-score td:nth-child(7),
table.box-score td:nth-child(8),
table.box-score td:nth-child(9) { white-space: nowrap; }
footer { margin-top: 5mm; border-top: 1px solid #aeb7bd; padding-top: 2mm; font-size: 8.5pt;
  color: #425563; }
@media print {
  body { padding: 0; max-width: none; font-size: 9pt; }
  header { margin-bottom: 2mm; }
  h2 { margin-top: 3mm; }
  .glance { grid-template-columns: repeat(10, 1fr); gap: 1.5mm; margin-bottom: 2mm; }
  .glance li { padding: 1mm 1.5mm; }
  .glance b { font-size: 12pt; }
  .glance span { font-size: 7pt; line-height: 1.2; display: block; }
  table { font-size: 8pt; }
  th, td { padding: 0.6mm 1.4mm; }
  .charts { grid-template-columns: repeat(4, 1fr); gap: 2mm 3mm; }
  figcaption { font-size: 7.5pt; }
}
"""


def render_html(
    review: WeekReview, *, generated_on: dt.date | None = None, chart_weeks: int = CHART_WEEKS
) -> str:
    """The report as one self-contained HTML page (ReportRefused on a patient identifier)."""
    check_identifiers(review)
    title = f"{review.ward.name} — week review {review.label}"
    made = made_by(generated_on)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(review.ward.name)}<small>Week review {_e(review.label)}: "
        f"{_e(period_label(review))}</small></h1>",
        f'<div class="meta">{_e(review.ward.code)}<br>{_e(made)}</div></header>',
        _glance_html(review),
        "<h2>Box score</h2>",
        _table_html(box_score_table(review), "box-score"),
        f'<p class="note">{_e(missing_line(review))}</p>',
        _charts_html(review, chart_weeks),
        '<section class="page"><h2>Ideas and PDSA tests</h2>',
        "<h3>Ideas funnel</h3>",
        _funnel_html(review),
        f'<p class="note">{_e(funnel_note(review))}</p>',
        *_titled_html(idea_tables(review)),
        "</section>",
        '<section class="page"><h2>Actions</h2>',
        f"<p>{_e(actions_line(review))}</p>",
        *_titled_html(action_tables(review)),
        "<h2>Huddles and attendance</h2>",
        _table_html(attendance_table(review), "attendance"),
        f'<p class="note">{_e(days_without(review.daily))}</p>',
        _table_html(huddles_table(review)),
        "</section>",
        f"<footer>{_e(footer_text(review))}</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _titled_html(tables: list[tuple[str, Table]]) -> list[str]:
    return [
        part for title, table in tables for part in (f"<h3>{_e(title)}</h3>", _table_html(table))
    ]


def _glance_html(review: WeekReview) -> str:
    items = "".join(
        f"<li><b>{_e(figure)}</b><span>{_e(words)}</span></li>"
        for figure, words in headline(review)
    )
    return f'<ul class="glance" aria-label="The week at a glance">{items}</ul>'


def _funnel_html(review: WeekReview) -> str:
    """The funnel as bars, one per status, each with its count written beside it."""
    widest = max((count for _, count in review.funnel.counts), default=0) or 1
    stages = "".join(
        f'<div class="stage"><span>{_e(IDEA_STATUS_TITLES[status])}</span>'
        f'<span class="bar"><i style="width: {100 * count / widest:.1f}%"></i></span>'
        f"<b>{count}</b></div>"
        for status, count in review.funnel.counts
    )
    total = (
        '<div class="stage all"><span>All ideas</span><span></span>'
        f"<b>{review.funnel.total}</b></div>"
    )
    return f'<div class="funnel">{stages}{total}</div>'


# -- the XmR charts (inline SVG) -------------------------------------------------------------------

_W, _H = 400.0, 160.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 6.0, 84.0, 8.0, 20.0
_MARKERS = ("common", "improvement", "concern", "neutral")


def _marker(tone: str, x: float, y: float) -> str:
    """Each kind of point has its own shape as well as its colour."""
    fill = COLOURS[tone]
    if tone == "improvement":  # diamond
        return (
            f'<path d="M{x:.1f} {y - 4.6:.1f}l4.6 4.6l-4.6 4.6l-4.6 -4.6z" fill="{fill}" '
            'stroke="#1d1d1b" stroke-width="0.6"/>'
        )
    if tone == "concern":  # square
        return (
            f'<rect x="{x - 3.6:.1f}" y="{y - 3.6:.1f}" width="7.2" height="7.2" fill="{fill}" '
            'stroke="#1d1d1b" stroke-width="0.6"/>'
        )
    if tone == "neutral":  # triangle
        return (
            f'<path d="M{x:.1f} {y - 4.6:.1f}l4.4 8l-8.8 0z" fill="{fill}" '
            'stroke="#1d1d1b" stroke-width="0.6"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{fill}"/>'


_MARKER_WORDS = {
    "common": "Common cause",
    "improvement": "Special cause improvement",
    "concern": "Special cause concern",
    "neutral": "Special cause (neutral measure)",
}


def _legend_html() -> str:
    def swatch(inner: str) -> str:
        return f'<svg viewBox="0 0 22 12" width="22" height="12" aria-hidden="true">{inner}</svg>'

    items = [
        f"<span>{swatch(_marker(tone, 11, 6))}{_e(_MARKER_WORDS[tone])}</span>" for tone in _MARKERS
    ]
    lines = (
        ("Mean", COLOURS["mean"], ""),
        ("Process limits", COLOURS["limit"], ' stroke-dasharray="4 2"'),
        ("Target", COLOURS["target"], ' stroke-dasharray="1.5 1.5"'),
    )
    for word, colour, dash in lines:
        line = f'<line x1="1" y1="6" x2="21" y2="6" stroke="{colour}" stroke-width="1.6"{dash}/>'
        items.append(f"<span>{swatch(line)}{_e(word)}</span>")
    ring = '<circle cx="11" cy="6" r="5" fill="none" stroke="#1d1d1b"/>'
    items.append(f"<span>{swatch(ring)}This week&#8217;s point</span>")
    return f'<div class="legend">{"".join(items)}</div>'


def _charts_html(review: WeekReview, weeks: int) -> str:
    figures = [_figure_html(row, weeks) for row in review.measures]
    return (
        '<section class="page"><h2>XmR charts</h2>'
        f'<p class="note">The last {weeks} weeks of each measure, up to this week.</p>'
        f'{_legend_html()}<div class="charts">{"".join(figures)}</div></section>'
    )


def _figure_html(row: MeasureReview, weeks: int) -> str:
    measure = row.measure
    caption = [f"<b>{_e(measure.name)}</b>"]
    variation, assurance = variation_icon(row), assurance_icon(row)
    for cell in (variation, assurance):
        caption.append(_cell_html(cell) if isinstance(cell, Icon) else "")
    analysis = row.analysis
    if analysis is None:
        body = f'<p class="none">{_e("No values recorded yet.")}</p>'
    else:
        body = _chart_svg(row, analysis, weeks)
    summary = _e(_chart_summary(row))
    return f"<figure><figcaption>{' '.join(caption)}<br>{summary}</figcaption>{body}</figure>"


def _chart_summary(row: MeasureReview) -> str:
    analysis, measure = row.analysis, row.measure
    parts = [f"This week {this_week_text(row)}"]
    if analysis is not None and analysis.mean is not None:
        parts.append(f"mean {line_value(measure, analysis.mean)}")
    if (
        analysis is not None
        and analysis.upper_limit is not None
        and analysis.lower_limit is not None
    ):
        lower, upper = (
            line_value(measure, analysis.lower_limit),
            line_value(measure, analysis.upper_limit),
        )
        limits = f"limits {lower} to {upper}"
        parts.append(f"trial {limits}" if analysis.trial else limits)
    if measure.target is not None:
        parts.append(f"target {measure.format(measure.target)}")
    signal = signal_text(row)
    if signal:
        parts.append(signal)
    return " · ".join(parts)


@dataclass(frozen=True)
class _Frame:
    """Where a chart's points go: weeks along x, values up y."""

    count: int
    low: float
    high: float

    def x(self, index: int) -> float:
        width = _W - _LEFT - _RIGHT
        return _LEFT + (width * index / (self.count - 1) if self.count > 1 else width / 2)

    def y(self, value: float) -> float:
        return _TOP + (self.high - value) / (self.high - self.low) * (_H - _TOP - _BOTTOM)


def _frame(points: Sequence[spc.Point], target: float | None) -> _Frame:
    numbers = [p.value for p in points if p.value is not None]
    for point in points:
        numbers += [n for n in (point.mean, point.upper_limit, point.lower_limit) if n is not None]
    if target is not None:
        numbers.append(target)
    low, high = min(numbers, default=0.0), max(numbers, default=0.0)
    pad = (high - low) * 0.06 or max(abs(high) * 0.1, 1.0)
    return _Frame(len(points), low - pad, high + pad)


def _chart_svg(row: MeasureReview, analysis: spc.Analysis, weeks: int) -> str:
    start = max(0, len(analysis.points) - weeks)
    points = analysis.points[start:]
    days = row.weeks[start:]
    frame = _frame(points, row.measure.target)
    shapes = [
        f'<rect x="{_LEFT}" y="{_TOP}" width="{_W - _LEFT - _RIGHT}" '
        f'height="{_H - _TOP - _BOTTOM}" fill="#fafbfb" stroke="#d8dde0" stroke-width="0.6"/>'
    ]
    shapes += _segment_lines(points, analysis, frame)
    if row.measure.target is not None:
        y = frame.y(row.measure.target)
        shapes.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" '
            f'stroke="{COLOURS["target"]}" stroke-width="1.3" stroke-dasharray="1.5 1.5"/>'
        )
    shapes.append(_value_line(points, frame))
    shapes += [
        _point_marker(row.measure, point, n, frame, days[n]) for n, point in enumerate(points)
    ]
    last = points[-1]
    if last.value is not None:
        shapes.append(
            f'<circle cx="{frame.x(len(points) - 1):.1f}" cy="{frame.y(last.value):.1f}" r="6" '
            'fill="none" stroke="#1d1d1b" stroke-width="1"/>'
        )
    shapes += _axis_labels(days, frame)
    shapes += _line_labels(row, last, frame)
    description = f"XmR chart of {row.measure.name}: {_chart_summary(row)}"
    return (
        f'<svg class="chart" viewBox="0 0 {_W:.0f} {_H:.0f}" role="img">'
        f"<title>{_e(description)}</title>{''.join(shapes)}</svg>"
    )


def _segment_lines(points: Sequence[spc.Point], analysis: spc.Analysis, frame: _Frame) -> list[str]:
    """Mean and process limits per segment; a dotted rule where limits were rebased."""
    shapes: list[str] = []
    start = 0
    for end in range(1, len(points) + 1):
        if end < len(points) and points[end].segment == points[start].segment:
            continue
        first = points[start]
        x1, x2 = frame.x(start), frame.x(end - 1)
        if x1 == x2:
            x1, x2 = x1 - 3, x2 + 3
        lines = (
            (first.mean, COLOURS["mean"], "1.2", ""),
            (first.upper_limit, COLOURS["limit"], "1", ' stroke-dasharray="4 2"'),
            (first.lower_limit, COLOURS["limit"], "1", ' stroke-dasharray="4 2"'),
        )
        for value, colour, width, dash in lines:
            if value is not None:
                y = frame.y(value)
                shapes.append(
                    f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" '
                    f'stroke="{colour}" stroke-width="{width}"{dash}/>'
                )
        if start > 0:
            reason = analysis.segments[first.segment].reason or "limits recalculated"
            x = frame.x(start)
            shapes.append(
                f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_H - _BOTTOM}" '
                'stroke="#425563" stroke-width="1" stroke-dasharray="1 2">'
                f"<title>Rebased: {_e(reason)}</title></line>"
            )
        start = end
    return shapes


def _value_line(points: Sequence[spc.Point], frame: _Frame) -> str:
    coords = " ".join(
        f"{frame.x(n):.1f},{frame.y(p.value):.1f}"
        for n, p in enumerate(points)
        if p.value is not None
    )
    return (
        f'<polyline points="{coords}" fill="none" stroke="{COLOURS["common"]}" '
        'stroke-width="1.1" stroke-linejoin="round"/>'
    )


def _point_marker(measure: Measure, point: spc.Point, n: int, frame: _Frame, day: dt.date) -> str:
    if point.value is None:
        return ""
    tone = VARIATION[point.point_type][0]
    reason = spc.describe(point)
    label = f"{day_label(day)}: {fmt_value(measure, point.value)}" + (
        f" ({reason})" if reason else ""
    )
    return f"<g><title>{_e(label)}</title>{_marker(tone, frame.x(n), frame.y(point.value))}</g>"


def _axis_labels(days: Sequence[dt.date], frame: _Frame) -> list[str]:
    """Four week labels along the bottom: the first, two between, and the last."""
    count = len(days)
    picks = sorted({0, count // 3, 2 * count // 3, count - 1}) if count > 1 else [0]
    labels = []
    for n in picks:
        anchor = "start" if n == 0 and count > 1 else "end" if n == count - 1 else "middle"
        labels.append(
            f'<text x="{frame.x(n):.1f}" y="{_H - 5:.1f}" font-size="11" fill="#425563" '
            f'text-anchor="{anchor}">{_e(f"{days[n].day} {days[n]:%b %y}")}</text>'
        )
    return labels


def _line_labels(row: MeasureReview, last: spc.Point, frame: _Frame) -> list[str]:
    """The last segment's lines and the target named at the right, nudged apart."""
    measure = row.measure
    named = [
        (value, f"{word} {line_value(measure, value)}", colour)
        for value, word, colour in (
            (last.upper_limit, "UPL", COLOURS["limit"]),
            (last.mean, "Mean", COLOURS["mean"]),
            (last.lower_limit, "LPL", COLOURS["limit"]),
        )
        if value is not None
    ]
    if measure.target is not None:
        named.append(
            (measure.target, f"Target {fmt_value(measure, measure.target)}", COLOURS["target"])
        )
    placed: list[tuple[float, str, str]] = []
    for value, text, colour in sorted(named, key=lambda item: -item[0]):
        y = frame.y(value) + 3
        if placed and y < placed[-1][0] + 11:
            y = placed[-1][0] + 11
        placed.append((y, text, colour))
    overflow = placed[-1][0] - (_H - 4) if placed else 0
    labels = []
    for y, text, colour in placed:
        y -= max(0.0, overflow)
        fill = "#1d1d1b" if colour == COLOURS["limit"] else colour
        labels.append(
            f'<text x="{_W - _RIGHT + 3:.1f}" y="{y:.1f}" font-size="11" fill="{fill}">'
            f"{_e(text)}</text>"
        )
    return labels
