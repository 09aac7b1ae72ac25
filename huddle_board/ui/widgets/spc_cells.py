"""The box score's SPC cells: a measure's variation, its assurance and the special cause on its
latest point in words, as Rich text with glyph, word and colour together (colour is never
alone). Loaded with the first SPC shown, after the board's first frame."""

from __future__ import annotations

from typing import Literal

from rich.text import Text

from huddle_board.model import Measure
from huddle_board.variation import ASSURANCE_ICONS, Summary, variation_icon

SpcForm = Literal["full", "short"]


def variation_cell(summary: Summary | None, form: SpcForm) -> Text:
    """The latest point's variation: "▲ Concern", "─ Common cause" ("▲ Concern", "─ Common"
    in short); a dash while the measure has no value."""
    if summary is None:
        return Text("–", style="dim")
    icon = variation_icon(summary.variation, summary.side)
    word = icon.word if form == "full" else icon.short
    return Text(f"{icon.glyph} {word}", style=f"bold {icon.colour}")


def assurance_cell(measure: Measure, summary: Summary | None, form: SpcForm) -> Text:
    """Whether the process will meet the target: "P Pass", "F Fail", "? Hit & miss" (the
    letter alone in short); "· no target" without one or for a neutral measure."""
    if summary is None or summary.assurance is None:
        no_target = measure.target is None or measure.improvement == "neutral"
        word = "no target" if no_target else "–"
        return Text("·" if form == "short" else f"· {word}", style="dim")
    icon = ASSURANCE_ICONS[summary.assurance]
    text = icon.glyph if form == "short" else f"{icon.glyph} {icon.word}"
    return Text(text, style=f"bold {icon.colour}")


def why_cell(summary: Summary | None, width: int) -> Text:
    """The special cause on the latest point in words with its week, in as many words as
    `width` has room for; otherwise whether the limits are trial limits."""
    if summary is None:
        return Text("")
    reason = summary.reason()
    if reason is not None and len(reason) > width:
        reason = summary.reason(short=True)
    if reason is not None and len(reason) > width:
        reason = summary.description  # the week is on the chart
    if reason is not None:
        return Text(reason, overflow="ellipsis", no_wrap=True)
    if summary.trial:
        return Text(f"trial limits ({summary.baseline} values)", style="dim")
    return Text("")
