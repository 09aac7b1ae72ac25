"""The import form: a CSV file of weekly figures and its mapping file, checked in a worker
("Check": every row, nothing written) with the result on screen, each problem with its line
in the file; "Import" checks again and writes all of the file, or nothing
(`huddle_board.importer`, as `huddle-board import values` does)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Static

if TYPE_CHECKING:
    from sqlite_utils import Database

from huddle_board.db.commands import Author, InvalidInput
from huddle_board.importer import (
    ImportCheck,
    ImportRefused,
    check_values_file,
    import_values_file,
)
from huddle_board.ui.messages import DataChanged
from huddle_board.ui.widgets.forms import FormScreen, Save
from huddle_board.ui.widgets.pane import pane_css

REPLACE_HINT = "Tick 'Replace values already on the board' to overwrite them."


@dataclass(frozen=True)
class ImportResult:
    """What the form shows after a check or an import: `written` is None unless the file
    was imported."""

    lines: tuple[str, ...]
    ok: bool
    written: int | None = None


def checked_lines(check: ImportCheck) -> ImportResult:
    if not check.ok:
        return ImportResult(tuple(check.problem_report(REPLACE_HINT)), ok=False)
    lines = (*check.summary(), "Every row is good: press Import to write them.")
    return ImportResult(lines, ok=True)


class ImportForm(FormScreen[int]):
    """Import weekly figures from a CSV file, as a person at the board does it."""

    DEFAULT_CSS = pane_css(__file__)
    TITLE_TEXT = "Import weekly figures from a CSV file"
    SAVE_LABEL = "Import"
    WHAT = "week_values"

    class Shown(Message):
        def __init__(self, result: ImportResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, csv_path: str = "", mapping_path: str = "") -> None:
        super().__init__()
        self.csv_path = csv_path
        self.mapping_path = mapping_path
        self.imported = False

    def fields(self) -> ComposeResult:
        with Horizontal(classes="import-row"):
            yield Label("CSV file", markup=False)
            yield Input(self.csv_path, placeholder="e.g. /home/ward/figures.csv", id="import-csv")
        with Horizontal(classes="import-row"):
            yield Label("Mapping file", markup=False)
            yield Input(self.mapping_path, placeholder="e.g. finance.toml", id="import-map")
        with Horizontal(classes="import-row"):
            yield Checkbox("Replace values already on the board", id="import-replace")
            yield Button("Check", id="import-check")
        with VerticalScroll(id="import-result-box"):
            yield Static(
                "Check the file first: nothing is written.", id="import-result", markup=False
            )

    def _paths(self) -> tuple[Path, Path]:
        paths = []
        for field_id, what in (("import-csv", "CSV file"), ("import-map", "mapping file")):
            text = self.query_one(f"#{field_id}", Input).value.strip()
            if not text:
                raise InvalidInput(field_id, f"Give the {what}'s path.")
            paths.append(Path(text).expanduser())
        return paths[0], paths[1]

    @property
    def replace(self) -> bool:
        return self.query_one("#import-replace", Checkbox).value

    @on(Button.Pressed, "#import-check")
    def action_check(self) -> None:
        try:
            csv_path, mapping_path = self._paths()
        except InvalidInput as refused:
            self.show_error(refused.message)
            return
        self.show_error("")
        self.show_result(ImportResult(("Checking…",), ok=True))
        self._check(csv_path, mapping_path, self.replace)

    @work(thread=True, exclusive=True, exit_on_error=False, group="check")
    def _check(self, csv_path: Path, mapping_path: Path, replace: bool) -> None:
        today = self.board.clock.today()
        try:
            with self.board.store.session() as conn:
                check = check_values_file(conn, csv_path, mapping_path, today, replace=replace)
        except ImportRefused as refused:
            self.post_message(self.Shown(ImportResult((refused.message,), ok=False)))
            return
        self.post_message(self.Shown(checked_lines(check)))

    def prepare(self) -> Save:
        if self.imported:
            raise InvalidInput("file", "The file is already imported: close the form.")
        csv_path, mapping_path = self._paths()
        replace = self.replace
        self.show_result(ImportResult(("Importing…",), ok=True))

        def save(db: Database, author: Author) -> ImportResult:
            try:
                outcome = import_values_file(db, author, csv_path, mapping_path, replace=replace)
            except ImportRefused as refused:
                return ImportResult((refused.message,), ok=False)
            if not outcome.check.ok:
                return checked_lines(outcome.check)
            lines = (*outcome.check.summary(), outcome.done)
            return ImportResult(lines, ok=True, written=outcome.written)

        return save

    def show_result(self, result: ImportResult) -> None:
        shown = self.query_one("#import-result", Static)
        shown.update("\n".join(result.lines))
        shown.set_class(not result.ok, "refused")

    def on_import_form_shown(self, message: Shown) -> None:
        self.show_result(message.result)

    def on_form_screen_saved(self, message: FormScreen.Saved) -> None:
        """The import ran: show what it did, and stay open (the base form would close)."""
        message.prevent_default()
        result: ImportResult = message.result
        self.show_result(result)
        if result.written is not None:
            self.imported = True
            self.board.post_message(DataChanged(self.WHAT))
            self.query_one("#save", Button).disabled = True
            self.query_one("#cancel", Button).label = "Close"
