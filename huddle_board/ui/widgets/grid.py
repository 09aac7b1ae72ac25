"""A read-only grid for the board's tables (the box score, the open actions): a fixed header
line, rows of pre-styled cells (and, for the box score, band title rows), and a row cursor
moved by ↑/↓, Home/End or a click.

It draws through the line API from one Rich line per row, built once when the rows change,
which is many times cheaper than a DataTable (a console render per cell, on every redraw):
the box score is in the board's first frame, and a screen switch redraws the whole table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

CELL_PADDING = 1  # blank cells either side of each column


@dataclass(frozen=True)
class GridColumn:
    key: str
    label: Text
    width: int


@dataclass(frozen=True)
class GridRow:
    """A measure row (`cells`, one per column) or, with `band=True`, a band title row whose
    single cell sits in the first column."""

    key: str
    cells: tuple[Text, ...]
    height: int = 1
    band: bool = False


def fit(cell: Text, width: int) -> Text:
    """`cell` cut (with an ellipsis) or padded to exactly `width` cells, honouring its
    justification."""
    text = cell.copy()
    text.truncate(width, overflow="ellipsis")
    room = width - text.cell_len
    if room <= 0:
        return text
    if cell.justify == "right":
        return Text.assemble(" " * room, text)
    if cell.justify == "center":
        return Text.assemble(" " * (room // 2), text, " " * (room - room // 2))
    return Text.assemble(text, " " * room)


def join_cells(cells: Sequence[Text], widths: Sequence[int]) -> Text:
    pad = " " * CELL_PADDING
    line = Text(no_wrap=True, end="")
    for cell, width in zip(cells, widths, strict=False):
        line.append(pad)
        line.append_text(fit(cell, width))
        line.append(pad)
    return line


class BoardGrid(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "board-grid--header",
        "board-grid--cursor",
        "board-grid--even-row",
    }
    DEFAULT_CSS = """
    BoardGrid {
        background: $surface;
        color: $foreground;
        & > .board-grid--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .board-grid--even-row {
            background: $surface-darken-1 40%;
        }
        & > .board-grid--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .board-grid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .board-grid--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("home", "cursor_to(0)", "First", show=False),
        Binding("end", "cursor_to(-1)", "Last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, layout=False, always_update=True)

    class Highlighted(Message):
        """The cursor moved to another row (or the rows changed under it)."""

        def __init__(self, grid: BoardGrid, key: str | None) -> None:
            super().__init__()
            self.grid = grid
            self.key = key

        @property
        def control(self) -> BoardGrid:
            return self.grid

    def __init__(self, *, id: str | None = None, zebra: bool = False) -> None:
        super().__init__(id=id)
        self.zebra = zebra
        self._columns: tuple[GridColumn, ...] = ()
        self._rows: tuple[GridRow, ...] = ()
        self._texts: list[Text] = []  # one line per row, without the cursor
        self._line_rows: list[int] = []  # the row each line (after the header) belongs to
        self._header: Text = Text()
        self._edges: list[int] = [0]  # the right edge of each column
        self._column_meta: list[Style] = [Style()]
        self._strips: dict[tuple[int, int, int], Strip] = {}

    # -- contents ---------------------------------------------------------------------------

    def set_table(
        self, columns: Sequence[GridColumn], rows: Sequence[GridRow], cursor: str | None = None
    ) -> None:
        """Show `rows` under `columns`. The cursor goes to the row `cursor`, else stays on its
        row's key, else (that row gone) at its place."""
        before = cursor if cursor is not None else self.cursor_key
        place = self.cursor_row
        self._columns = tuple(columns)
        self._rows = tuple(rows)
        widths = [column.width for column in self._columns]
        self._header = join_cells([column.label for column in self._columns], widths)
        self._texts = [join_cells(row.cells, widths) for row in self._rows]
        self._line_rows = [index for index, row in enumerate(self._rows) for _ in range(row.height)]
        edges = list(accumulate(width + 2 * CELL_PADDING for width in widths))
        self._edges = edges or [0]
        self._column_meta = [Style.from_meta({"column": n}) for n in range(len(self._edges))]
        width = edges[-1] if edges else 0
        self.virtual_size = Size(width, 1 + len(self._line_rows))
        keys = self.row_keys
        self._move_to(keys.index(before) if before in keys else min(place, len(keys) - 1))
        self._strips.clear()
        self.refresh()

    @property
    def columns(self) -> tuple[GridColumn, ...]:
        return self._columns

    @property
    def rows(self) -> tuple[GridRow, ...]:
        return self._rows

    @property
    def row_keys(self) -> list[str]:
        return [row.key for row in self._rows]

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def cells(self, key: str) -> tuple[Text, ...]:
        return next(row.cells for row in self._rows if row.key == key)

    @property
    def cursor_key(self) -> str | None:
        if 0 <= self.cursor_row < len(self._rows):
            return self._rows[self.cursor_row].key
        return None

    # -- the cursor --------------------------------------------------------------------------

    def _measure_rows(self) -> list[int]:
        return [index for index, row in enumerate(self._rows) if not row.band]

    def _move_to(self, index: int) -> None:
        """Put the cursor on row `index` (a band row passes it on to the next measure)."""
        choices = self._measure_rows()
        if not choices:
            self.cursor_row = 0
            return
        self.cursor_row = next((row for row in choices if row >= index), choices[-1])

    def action_cursor(self, step: int) -> None:
        choices = self._measure_rows()
        if not choices:
            return
        here = choices.index(self.cursor_row) if self.cursor_row in choices else 0
        self.cursor_row = choices[max(0, min(len(choices) - 1, here + step))]

    def action_cursor_to(self, place: int) -> None:
        choices = self._measure_rows()
        if choices:
            self.cursor_row = choices[place]

    def move_to_key(self, key: str) -> None:
        if key in self.row_keys:
            self._move_to(self.row_keys.index(key))

    def watch_cursor_row(self, row: int) -> None:
        self._strips.clear()
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_key))
        if not self._line_rows or row not in self._line_rows:
            return
        top = self._line_rows.index(row)
        bottom = top + self._rows[row].height
        room = max(1, self.scrollable_content_region.height - 1)  # under the header
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False)
        elif bottom > self.scroll_y + room:
            self.scroll_to(y=bottom - room, animate=False)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        line = int(self.scroll_y) + offset.y - 1
        if 0 <= line < len(self._line_rows):
            row = self._line_rows[line]
            if not self._rows[row].band:
                self.cursor_row = row

    # -- drawing -----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self._strips.clear()

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        line = -1 if y == 0 else scroll_y + y - 1
        key = (line, scroll_x, width)
        cached = self._strips.get(key)
        if cached is None:
            cached = self._strips[key] = self._render_grid_line(line, scroll_x, width)
        return cached

    def _render_grid_line(self, line: int, scroll_x: int, width: int) -> Strip:
        base = self.rich_style
        if line >= len(self._line_rows):
            return Strip.blank(width, base)
        if line < 0:
            text, style = self._header, base + self.get_component_rich_style("board-grid--header")
        else:
            row = self._line_rows[line]
            first = line == 0 or self._line_rows[line - 1] != row
            text = self._texts[row] if first else Text()
            style = base
            if self.zebra and row % 2:
                style = base + self.get_component_rich_style("board-grid--even-row")
            if row == self.cursor_row and not self._rows[row].band:
                style = base + self.get_component_rich_style("board-grid--cursor")
        return self._to_strip(text, style).crop_extend(scroll_x, scroll_x + width, style)

    def _to_strip(self, text: Text, style: Style) -> Strip:
        """The line as segments cut at the column edges, each cell marked with its column
        (so that no two cells merge into one run: an SVG screenshot then places every cell
        where the terminal does)."""
        segments = list(Segment.apply_style(text.render(self.app.console), style))
        pieces = Segment.divide(segments, self._edges)
        return Strip(
            [
                segment
                for piece, meta in zip(pieces, self._column_meta, strict=False)
                for segment in Segment.apply_style(piece, post_style=meta)
            ]
        )
