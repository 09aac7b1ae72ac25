"""The box score's measures, set up on the board (admin menu in kiosk mode; `m` on the box
score otherwise): the list, and a form to add or change one. Removing one tombstones it: its
values stay in the file and in the central store, and it leaves the box score.

A new ward starts with no measures: this is where its team puts in its box score."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from huddle_board.db import commands, queries
from huddle_board.db.commands import Author, InvalidInput, MeasureSpec
from huddle_board.model import BANDS, Measure
from huddle_board.privacy import printable
from huddle_board.ui.widgets.failures import ReportsWorkerFailures
from huddle_board.ui.widgets.forms import FormScreen, Save
from huddle_board.ui.widgets.grid import BoardGrid, GridColumn, GridRow

if TYPE_CHECKING:
    from sqlite_utils import Database

    from huddle_board.ui.app import HuddleBoardApp

IMPROVEMENTS = (
    ("Higher is better", "increase"),
    ("Lower is better", "decrease"),
    ("Neither (watch only)", "neutral"),
)
IMPROVEMENT_WORDS = {value: words for words, value in IMPROVEMENTS}

MEASURES_CSS = """
MeasuresScreen {
    align: center middle;
}
MeasuresScreen .form-box {
    width: 124;
    max-width: 100%;
}
#measures-table {
    height: auto;
    max-height: 24;
}
#measures-empty {
    height: auto;
    margin: 1 0;
}
MeasureForm .mf-row {
    height: 3;
}
MeasureForm .mf-label {
    width: 24;
    padding-top: 1;
}
MeasureForm .mf-row Input {
    width: 1fr;
}
MeasureForm .mf-row Select {
    width: 1fr;
}
MeasureForm .mf-short {
    width: 14;
}
"""


def number_or_none(text: str, field: str) -> float | None:
    """A number as the week form and the CSV import read one (`import_csv.plain_number`)."""
    from huddle_board.import_csv import plain_number

    try:
        return plain_number(text)
    except ValueError:
        raise InvalidInput(field, f"{field.capitalize()} must be a number, or empty.") from None


def whole_number(text: str, field: str, default: int) -> int:
    text = text.strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(field, f"{field.capitalize()} must be a whole number.") from None


class MeasureForm(FormScreen[str | int]):
    """Add a measure (returns its id) or change one (returns its new rev)."""

    DEFAULT_CSS = MEASURES_CSS
    SCOPED_CSS = False  # the selectors name the screen themselves
    WHAT = "measures"

    def __init__(self, measure: Measure | None = None) -> None:
        super().__init__()
        self.measure = measure
        self.TITLE_TEXT = "New measure" if measure is None else "Change measure"
        self.SAVE_LABEL = "Add measure" if measure is None else "Save measure"

    def fields(self) -> ComposeResult:
        m = self.measure
        target = "" if m is None or m.target is None else f"{m.target:g}"
        with Horizontal(classes="mf-row"):
            yield Label("Name", classes="mf-label", markup=False)
            yield Input(m.name if m else "", placeholder="e.g. Falls with harm", id="m-name")
        with Horizontal(classes="mf-row"):
            yield Label("Band", classes="mf-label", markup=False)
            yield Select(
                [(band.capitalize(), band) for band in BANDS],
                value=m.band if m else BANDS[0],
                allow_blank=False,
                id="m-band",
            )
            yield Label("Better when", classes="mf-label", markup=False)
            yield Select(
                list(IMPROVEMENTS),
                value=m.improvement if m else "increase",
                allow_blank=False,
                id="m-improvement",
            )
        with Horizontal(classes="mf-row"):
            yield Label("Unit (%, £, count…)", classes="mf-label", markup=False)
            yield Input(m.unit if m else "", id="m-unit", classes="mf-short")
            yield Label("Decimals (0-4)", classes="mf-label", markup=False)
            yield Input(str(m.decimals) if m else "0", id="m-decimals", classes="mf-short")
            yield Label("Target (empty: none)", classes="mf-label", markup=False)
            yield Input(target, id="m-target", classes="mf-short")
        with Horizontal(classes="mf-row"):
            yield Label("Owner (initials)", classes="mf-label", markup=False)
            owner = m.owner if m and m.owner else ""
            yield Input(owner, max_length=4, id="m-owner", classes="mf-short")
            yield Label("Collected every (weeks)", classes="mf-label", markup=False)
            every = str(m.every_n_weeks) if m else "1"
            yield Input(every, id="m-every", classes="mf-short")
        with Horizontal(classes="mf-row"):
            yield Checkbox(
                "Ratio: entered as numerator and denominator", m.is_ratio if m else False
            )
            yield Label("Ratio scale (e.g. 1000)", classes="mf-label", markup=False)
            scale = f"{m.ratio_scale:g}" if m else "1"
            yield Input(scale, id="m-scale", classes="mf-short")

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def spec(self) -> MeasureSpec:
        """The measure as typed; InvalidInput for what can be told here (the rest, such as
        an identifier in the name, is refused by the command)."""
        band = self.query_one("#m-band", Select).value
        improvement = self.query_one("#m-improvement", Select).value
        scale = number_or_none(self._value("m-scale"), "ratio scale")
        return MeasureSpec(
            name=self._value("m-name"),
            band=str(band),
            unit=self._value("m-unit").strip(),
            decimals=whole_number(self._value("m-decimals"), "decimals", 0),
            improvement=str(improvement),
            target=number_or_none(self._value("m-target"), "target"),
            owner=self._value("m-owner").strip() or None,
            every_n_weeks=whole_number(self._value("m-every"), "every N weeks", 1),
            is_ratio=self.query_one(Checkbox).value,
            ratio_scale=1.0 if scale is None else scale,
        )

    def prepare(self) -> Save:
        spec = self.spec()
        if not spec.name.strip():
            raise InvalidInput("measure name", "The measure needs a name.")
        measure = self.measure

        def write(db: Database, author: Author) -> str | int:
            if measure is None:
                return commands.add_measure(db, author, spec)
            return commands.edit_measure(db, author, measure.id, spec)

        return write


class MeasuresScreen(ReportsWorkerFailures, ModalScreen[None]):
    """The box score's measures: `a` adds one, Enter changes the highlighted one, `x` takes it
    off the box score (after a second press), Escape closes."""

    DEFAULT_CSS = MEASURES_CSS
    SCOPED_CSS = False
    AUTO_FOCUS = "#measures-table"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("a", "add", "Add"),
        Binding("enter", "edit", "Change"),
        Binding("x", "remove", "Remove"),
    ]

    class Loaded(Message):
        def __init__(self, measures: list[Measure]) -> None:
            super().__init__()
            self.measures = measures

    def __init__(self) -> None:
        super().__init__()
        self.measures: list[Measure] = []
        self._remove_armed: str | None = None

    @property
    def board(self) -> HuddleBoardApp:
        return cast("HuddleBoardApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield Label("Box score measures", classes="form-title", markup=False)
            yield BoardGrid(id="measures-table")
            yield Static("", id="measures-empty", markup=False)
            yield Static("", id="form-error", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Add (a)", variant="primary", id="add")
                yield Button("Change (Enter)", id="edit")
                yield Button("Remove (x)", variant="error", id="remove")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="measures")
    def load(self) -> None:
        with self.board.store.session() as db:
            found = queries.measures(db)
        self.post_message(self.Loaded(found))

    def on_measures_screen_loaded(self, message: Loaded) -> None:
        self.measures = message.measures
        columns = [
            GridColumn(key, Text(label, style="bold"), width)
            for key, label, width in (
                ("band", "Band", 12),
                ("name", "Measure", 38),
                ("unit", "Unit", 8),
                ("target", "Target", 10),
                ("better", "Better when", 22),
                ("owner", "Owner", 7),
                ("every", "Every", 7),
                ("kind", "Kind", 7),
            )
        ]
        rows = [
            GridRow(
                measure.id,
                (
                    Text(measure.band.capitalize()),
                    Text(printable(measure.name)),
                    Text(printable(measure.unit)),
                    Text("–" if measure.target is None else f"{measure.target:g}"),
                    Text(IMPROVEMENT_WORDS[measure.improvement]),
                    Text(measure.owner or "–"),
                    Text(f"{measure.every_n_weeks} wk"),
                    Text("ratio" if measure.is_ratio else "value"),
                ),
            )
            for measure in self.measures
        ]
        table = self.query_one(BoardGrid)
        table.set_table(columns, rows, cursor=table.cursor_key)
        empty = self.query_one("#measures-empty", Static)
        empty.update(
            Content(
                "No measures yet: press a to add the first. A box score has performance, "
                "capacity and cost measures, each against a target."
                if not self.measures
                else f"{len(self.measures)} measures on the box score."
            )
        )

    def highlighted(self) -> Measure | None:
        key = self.query_one(BoardGrid).cursor_key
        return next((m for m in self.measures if m.id == key), None)

    def say(self, text: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(Content(text))
        error.set_class(bool(text), "shown")

    @on(Button.Pressed, "#add")
    def action_add(self) -> None:
        self.app.push_screen(MeasureForm(), callback=self._changed)

    @on(Button.Pressed, "#edit")
    def action_edit(self) -> None:
        measure = self.highlighted()
        if measure is None:
            self.say("There is no measure to change: press a to add one.")
            return
        self.app.push_screen(MeasureForm(measure), callback=self._changed)

    @on(Button.Pressed, "#remove")
    def action_remove(self) -> None:
        measure = self.highlighted()
        if measure is None:
            return
        if self._remove_armed != measure.id:
            self._remove_armed = measure.id
            self.say(
                f"Take {measure.name!r} off the box score? Its values are kept. "
                "Press x again to remove it."
            )
            return
        self._remove_armed = None
        self.say("")
        measure_id = measure.id

        def write(db: Database, author: Author) -> None:
            commands.delete(db, author, "measure", measure_id)

        self.board.save(write, "measures", "Initials to remove this measure")

    def _changed(self, result: str | int | None) -> None:
        if result is not None:
            self.load()

    def data_changed(self) -> None:
        """Something was written (a removal goes through `board.save`): read the list again."""
        self.load()

    def on_board_grid_highlighted(self) -> None:
        if self._remove_armed is not None:
            self._remove_armed = None
            self.say("")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
