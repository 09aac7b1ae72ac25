"""The form for a week's box-score figures: one line per measure (two fields for a ratio
measure: numerator and denominator), Tab moves through them, numbers are checked before
anything is saved, and an empty field means 'not known yet', never zero."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label

if TYPE_CHECKING:
    from sqlite_utils import Database

    from huddle_board.db import Reader

from huddle_board.db import commands, queries
from huddle_board.db.commands import InvalidInput, WeekEntry
from huddle_board.model import Measure, WeekValue, iso_week_label, week_start
from huddle_board.privacy import printable
from huddle_board.ui.widgets.forms import FormScreen, Save


def parse_number(text: str, what: str) -> float | None:
    """'1,234.5', '£450', '12 %' → a float; '' → None (missing); anything else refused, a
    decimal comma ('12,5', which would otherwise become 125) included."""
    from huddle_board.import_csv import plain_number

    try:
        return plain_number(text)
    except ValueError:
        raise InvalidInput(
            what, f"{what}: '{text.strip()}' is not a number (use a point for decimals)."
        ) from None


def shown(number: float | None) -> str:
    if number is None:
        return ""
    return f"{number:g}" if abs(number) < 1e15 else str(number)


@dataclass(frozen=True)
class WeekForm:
    week: dt.date
    measures: list[Measure]
    existing: dict[str, WeekValue]


class WeekValuesForm(FormScreen[int]):
    TITLE_TEXT = "Week's values"
    SAVE_LABEL = "Save week"
    WHAT = "week_values"
    BINDINGS = [
        Binding("ctrl+left", "previous_week", "Previous week"),
        Binding("ctrl+right", "next_week", "Next week"),
    ]

    class Fetched(Message):
        def __init__(self, form: WeekForm) -> None:
            super().__init__()
            self.form = form

    def __init__(self, week: dt.date) -> None:
        super().__init__()
        self.week = week_start(week)
        self.measures: list[Measure] = []
        self.ready = False

    def fields(self) -> ComposeResult:
        with Horizontal(classes="week-picker"):
            yield Button("◀ Previous", id="previous-week")
            yield Label("", id="week-label", markup=False)
            yield Button("Next ▶", id="next-week")
        yield VerticalScroll(id="week-fields")

    def on_mount(self) -> None:
        self._fetch(self.week)

    @work(thread=True, exclusive=True, exit_on_error=False, group="fetch")
    def _fetch(self, week: dt.date) -> None:
        with self.board.store.session() as db:
            form = self._read(db, week)
        self.post_message(self.Fetched(form))

    @staticmethod
    def _read(db: Reader, week: dt.date) -> WeekForm:
        return WeekForm(week, queries.measures(db), queries.week_values(db, week))

    async def on_week_values_form_fetched(self, message: Fetched) -> None:
        """Swap in the week's fields once the old ones are gone (their ids are reused), then
        put the cursor in the first field: typing straight after 'e' goes into the form."""
        form = message.form
        self.ready = False  # nothing to save while the fields are being replaced
        box = self.query_one("#week-fields", VerticalScroll)
        await box.remove_children()
        await box.mount_all(self._rows(form))
        self.week, self.measures, self.ready = form.week, form.measures, True
        label = f"Week of {form.week:%d %b %Y} ({iso_week_label(form.week)})"
        self.query_one("#week-label", Label).update(label)
        inputs = box.query(Input)
        if inputs:
            inputs.first().focus()

    def _rows(self, form: WeekForm) -> list[Horizontal]:
        rows = []
        for measure in form.measures:
            value = form.existing.get(measure.id)
            name = printable(measure.name)
            if measure.owner:
                name += f" ({printable(measure.owner)})"
            if measure.is_ratio:
                fields = [
                    Input(
                        shown(value.numerator if value else None),
                        placeholder="numerator",
                        id=f"num-{measure.id}",
                        classes="number",
                    ),
                    Input(
                        shown(value.denominator if value else None),
                        placeholder="denominator",
                        id=f"den-{measure.id}",
                        classes="number",
                    ),
                ]
            else:
                fields = [
                    Input(
                        shown(value.value if value else None),
                        placeholder=printable(measure.unit),
                        id=f"val-{measure.id}",
                        classes="number",
                    )
                ]
            label = Label(name, classes="measure-label", markup=False)
            rows.append(Horizontal(label, *fields, classes="week-row"))
        return rows

    def _number(self, prefix: str, measure: Measure) -> float | None:
        field = self.query_one(f"#{prefix}-{measure.id}", Input)
        return parse_number(field.value, measure.name)

    def prepare(self) -> Save:
        if not self.ready:
            raise InvalidInput("week", "The week's measures are still loading: try again.")
        entries = []
        for measure in self.measures:
            if measure.is_ratio:
                entry = WeekEntry(
                    measure.id,
                    numerator=self._number("num", measure),
                    denominator=self._number("den", measure),
                )
            else:
                entry = WeekEntry(measure.id, value=self._number("val", measure))
            entries.append(entry)
        week = self.week

        def save(db: Database, author: commands.Author) -> int:
            return commands.record_week_values(db, author, week, entries)

        return save

    @on(Button.Pressed, "#previous-week")
    def action_previous_week(self) -> None:
        self._fetch(self.week - dt.timedelta(weeks=1))

    @on(Button.Pressed, "#next-week")
    def action_next_week(self) -> None:
        self._fetch(self.week + dt.timedelta(weeks=1))
