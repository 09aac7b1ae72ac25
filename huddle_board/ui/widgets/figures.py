"""The box score's headline figures in large digits (Textual's `Digits`), for a board read from
across the corridor: targets met and missed this week, values still to enter, and overdue
actions. Each figure has its symbol and words beside it, so the colour is never alone.

Only imported when large figures are on (`Settings.show_large_figures`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.renderables.digits import Digits as DigitsFace
from textual.widgets import Digits, Static

from huddle_board.model import BoxScore

# The strip's height on screen: three lines of digits and a blank line under them.
FIGURES_HEIGHT = 4
# Blank cells between the digits and their words, and after each figure (the padding and
# margin in FigureStrip.DEFAULT_CSS).
WORDS_GAP = 1
FIGURE_GAP = 3
# A figure's state, as its CSS class: good (green), bad (red) or due (amber).
STATES = ("-good", "-bad", "-due", "-plain")


@dataclass(frozen=True)
class Headlines:
    """This week's headline figures. `judged`: measures with a target and a value to judge;
    `open_actions`/`overdue` are None when they were not read."""

    met: int
    judged: int
    to_enter: int
    open_actions: int | None
    overdue: int | None

    @property
    def missed(self) -> int:
        return self.judged - self.met


def headlines(score: BoxScore, actions: tuple[int, int] | None) -> Headlines:
    """The figures for the box score's current week, judged as its "This week" column is
    (over all the weeks read), with (open, overdue) `actions` when known."""
    judged = met = 0
    for row in score.rows:
        value = row.latest_sample(score.weeks)
        verdict = None if value is None else row.measure.met(value)
        if verdict is not None:
            judged += 1
            met += verdict
    open_actions, overdue = actions if actions is not None else (None, None)
    return Headlines(met, judged, len(score.missing()), open_actions, overdue)


@dataclass(frozen=True)
class Figure:
    """One figure as shown: its digits, its words (long and short forms, two lines each) and
    its state."""

    key: str
    digits: str
    words: tuple[str, str]
    short: tuple[str, str]
    state: str

    def width(self, short: bool) -> int:
        words = self.short if short else self.words
        return DigitsFace.get_width(self.digits) + WORDS_GAP + max(map(cell_len, words))


def figures(found: Headlines) -> tuple[Figure, ...]:
    """What the strip shows, read as a sentence: "6 of 8 targets met this week"."""

    def bad_if_any(value: int | None, bad: str) -> str:
        return "-plain" if value is None else bad if value else "-good"

    if found.overdue is None or found.open_actions is None:
        overdue = Figure("overdue", "-", ("⚠ actions overdue", ""), ("⚠ overdue", ""), "-plain")
    else:
        overdue = Figure(
            "overdue",
            str(found.overdue),
            (f"⚠ of {found.open_actions} open actions", "overdue"),
            (f"⚠ of {found.open_actions}", "overdue"),
            bad_if_any(found.overdue, "-bad"),
        )
    return (
        Figure(
            "met",
            str(found.met),
            (f"✔ of {found.judged} targets met", "this week"),
            (f"✔ of {found.judged}", "met"),
            "-good" if found.judged else "-plain",
        ),
        Figure(
            "missed",
            str(found.missed),
            ("✘ targets missed", "this week"),
            ("✘ missed", ""),
            bad_if_any(found.missed, "-bad"),
        ),
        Figure(
            "to-enter",
            str(found.to_enter),
            ("? values to enter", "this week"),
            ("? to enter", ""),
            bad_if_any(found.to_enter, "-due"),
        ),
        overdue,
    )


def strip_width(shown: tuple[Figure, ...], short: bool) -> int:
    """The cells the strip needs on one line (no gap after the last figure)."""
    return sum(figure.width(short) + FIGURE_GAP for figure in shown) - FIGURE_GAP


class FigureStrip(Horizontal):
    """The headline figures side by side. `show()` them; `fit(width)` chooses the long or
    short words for the width and says whether the figures fit at all."""

    DEFAULT_CSS = """
    FigureStrip {
        height: 3;
        margin-bottom: 1;
        &.-hidden {
            display: none;
        }
        .figure {
            width: auto;
            height: 3;
            margin-right: 3;
        }
        Digits {
            width: auto;
            text-style: bold;
        }
        .figure-words {
            width: auto;
            height: 3;
            padding-left: 1;
            content-align: left middle;
            text-style: bold;
        }
        .-good {
            color: $success;
        }
        .-bad {
            color: $error;
        }
        .-due {
            color: $warning;
        }
        .-plain {
            color: $foreground;
        }
    }
    """
    KEYS: ClassVar[tuple[str, ...]] = ("met", "missed", "to-enter", "overdue")
    HEIGHT: ClassVar[int] = FIGURES_HEIGHT

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: tuple[Figure, ...] = ()
        self.short = False

    def compose(self) -> ComposeResult:
        for key in self.KEYS:
            with Horizontal(id=f"figure-{key}", classes="figure"):
                yield Digits("", id=f"figure-{key}-digits")
                yield Static("", id=f"figure-{key}-words", classes="figure-words", markup=False)

    def show(self, found: Headlines) -> None:
        self.shown = figures(found)
        self._draw()

    def fit(self, width: int) -> bool:
        """Use the long words if they fit in `width` cells, else the short ones; whether even
        those fit."""
        short = strip_width(self.shown, short=False) > width
        if short != self.short:
            self.short = short
            self._draw()
        return strip_width(self.shown, short=True) <= width

    def _draw(self) -> None:
        for figure in self.shown:
            tile = self.query_one(f"#figure-{figure.key}", Horizontal)
            for state in STATES:
                tile.set_class(state == figure.state, state)
            self.query_one(f"#figure-{figure.key}-digits", Digits).update(figure.digits)
            words = figure.short if self.short else figure.words
            label = self.query_one(f"#figure-{figure.key}-words", Static)
            label.update(Content("\n".join(words).rstrip("\n")))
