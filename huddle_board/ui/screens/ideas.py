"""The Ideas screen: idea cards in columns by status (New, In test, Adopted, Parked, and
Abandoned on request), each card with its PICK letter, age, owner, PDSA count and linked
measure; the selected idea's problem and PDSA cycles below. Ideas are added and edited in a
form, moved between statuses by key or button (never by dragging), and tested in PDSA cycles.

At most `SHOWN_PER_STATUS` ideas are listed per column (newest first) so a ward with thousands
of ideas stays quick; the column says how many more there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

if TYPE_CHECKING:
    from huddle_board.db import Reader

from huddle_board.db import commands, queries
from huddle_board.model import (
    IDEA_STATUS_TITLES,
    IDEA_STATUSES,
    Idea,
    IdeaStatus,
    Measure,
    PdsaCycle,
)
from huddle_board.privacy import printable
from huddle_board.ui.screens.idea_forms import (
    PICK_STYLES,
    PICK_WORDS,
    IdeaForm,
    PdsaPlanForm,
    PdsaResultForm,
)
from huddle_board.ui.widgets.pane import BoardPane, pane_css

SHOWN_PER_STATUS = 200
NARROW_WIDTH = 130
MOVES: tuple[tuple[IdeaStatus, str, str], ...] = (
    ("new", "n", "New"),
    ("parked", "p", "Parked"),
    ("adopted", "d", "Adopted"),
    ("abandoned", "x", "Abandoned"),
)
MOVE_BUTTONS: dict[str, IdeaStatus] = {f"move-{status}": status for status, _, _ in MOVES}


def age_text(idea: Idea, today: dt.date) -> str:
    days = idea.age_days(today)
    if days == 0:
        return "today"
    return "1 day" if days == 1 else f"{days:,} days"


def pick_badge(letter: str) -> Text:
    """The PICK letter and its word in a coloured box: colour is never the only signal."""
    return Text(f" {letter} {PICK_WORDS[letter]} ", style=PICK_STYLES[letter])


def idea_card(idea: Idea, today: dt.date, measure: Measure | None) -> Text:
    """A card: '[I Implement] Title', then 'JM · 23 days · 2 PDSA', then the linked measure."""
    title = Text.assemble(pick_badge(idea.pick), " ", Text(printable(idea.title), style="bold"))
    owner = printable(idea.owner) if idea.owner else "no owner"
    facts = [owner, age_text(idea, today), f"{idea.pdsa_count} PDSA"]
    lines = [title, Text(" · ".join(facts))]
    if measure is not None:
        lines.append(Text(f"↗ {printable(measure.name)}", style="italic"))
    return Text("\n").join(lines)


def cycle_lines(cycle: PdsaCycle) -> list[Text]:
    started = f"{cycle.started_on:%d %b %Y}" if cycle.started_on else "–"
    if cycle.act is None:
        outcome = Text("open", style="bold")
    else:
        finished = f" on {cycle.finished_on:%d %b %Y}" if cycle.finished_on else ""
        outcome = Text(f"act: {cycle.act}{finished}", style="bold")
    head = Text.assemble(
        (f"Cycle {cycle.number}", "bold"),
        f" · started {started} · {printable(cycle.written_by)} · ",
        outcome,
    )
    lines = [head]
    for name, text in (
        ("Plan", cycle.plan),
        ("Prediction", cycle.prediction),
        ("Do", cycle.do),
        ("Study", cycle.study),
    ):
        if text:
            lines.append(Text.assemble("  ", (f"{name}: ", "bold"), printable(text)))
    return lines


def idea_detail(
    idea: Idea, cycles: list[PdsaCycle], today: dt.date, measure: Measure | None
) -> Text:
    """The selected idea in full: problem, who raised it, PICK placement and its PDSA cycles."""
    pick = "not placed yet"
    if idea.impact or idea.effort:
        pick = f"{idea.impact or '?'} impact, {idea.effort or '?'} effort"
    facts = [
        f"Raised by {printable(idea.raised_by)} on {idea.raised_on:%d %b %Y} "
        f"({age_text(idea, today)}{' ago' * (idea.age_days(today) > 0)})",
        f"Owner: {printable(idea.owner) if idea.owner else 'none'}",
        f"Measure: {printable(measure.name) if measure else 'none'}",
        f"PICK: {pick}",
        f"Status: {IDEA_STATUS_TITLES[idea.status]}",
    ]
    lines = [
        Text.assemble(pick_badge(idea.pick), " ", (printable(idea.title), "bold")),
        Text.assemble(("Problem: ", "bold"), printable(idea.problem) or "not written down"),
        Text(" · ".join(facts), style="dim"),
    ]
    if not cycles:
        lines.append(Text("No PDSA cycles yet: start one with t."))
    for cycle in cycles:
        lines.extend(cycle_lines(cycle))
    return Text("\n").join(lines)


@dataclass(frozen=True)
class CardMaker:
    """Builds the cards for one day's view with the ward's measures; `key` tells whether
    cards built before are still right."""

    today: dt.date
    measures: dict[str, Measure]

    @property
    def key(self) -> tuple[dt.date, tuple[Measure, ...]]:
        return self.today, tuple(self.measures.values())

    def card(self, idea: Idea) -> Text:
        return idea_card(idea, self.today, self.measures.get(idea.measure_id or ""))


@dataclass(frozen=True)
class IdeasData:
    ideas: dict[IdeaStatus, list[Idea]]
    counts: dict[IdeaStatus, int]
    measures: list[Measure] = field(default_factory=list)


class IdeaColumn(Vertical):
    """One status: its title with the count, the cards, and how many more are not listed."""

    def __init__(self, status: IdeaStatus) -> None:
        super().__init__(id=f"column-{status}", classes="idea-column")
        self.status = status
        self.shown: object = None

    def compose(self) -> ComposeResult:
        yield Static(IDEA_STATUS_TITLES[self.status], classes="column-title", markup=False)
        yield OptionList(id=f"list-{self.status}", classes="idea-list")
        yield Static("", classes="column-more", markup=False)

    @property
    def cards(self) -> OptionList:
        return self.query_one(OptionList)

    def fill(self, cards: CardMaker, ideas: list[Idea], count: int, keep: str | None) -> None:
        """Show `ideas` (of `count` in all) with `keep` highlighted if it is among them; the
        cards are only rebuilt when something on them changed."""
        title = f"{IDEA_STATUS_TITLES[self.status]} ({count:,})"
        self.query_one(".column-title", Static).update(title)
        more = self.query_one(".column-more", Static)
        hidden = count - len(ideas)
        more.update(f"+{hidden:,} more (older, not listed)" if hidden > 0 else "")
        more.set_class(hidden > 0, "shown")
        shown = (cards.key, tuple(ideas))
        if shown == self.shown:
            self.highlight(keep, fallback=self.cards.highlighted or 0)
            return
        self.shown = shown
        old = self.cards.highlighted
        options: list[Option | None] = []
        for idea in ideas:
            options.extend((Option(cards.card(idea), id=idea.id), None))
        self.cards.set_options(options)
        self.highlight(keep, fallback=old or 0)

    def highlight(self, idea_id: str | None, fallback: int = 0) -> None:
        cards = self.cards
        if not cards.option_count:
            return
        try:
            cards.highlighted = cards.get_option_index(idea_id or "")
        except OptionDoesNotExist:
            cards.highlighted = min(fallback, cards.option_count - 1)

    def selected_id(self) -> str | None:
        option = self.cards.highlighted_option
        return option.id if option is not None else None


class IdeasPane(BoardPane):
    DEFAULT_CSS = pane_css(__file__)
    SCOPED_CSS = False  # its styles also reach the forms it opens
    TABLES = ("ideas", "pdsa_cycles", "measures")
    BINDINGS = [
        Binding("a", "add_idea", "Add idea"),
        Binding("e", "edit_idea", "Edit"),
        Binding("t", "plan_cycle", "Start PDSA"),
        Binding("r", "record_result", "PDSA result"),
        *(Binding(key, f"move('{status}')", f"→ {word}") for status, key, word in MOVES),
        Binding("v", "toggle_abandoned", "Abandoned"),
        Binding("left", "column(-1)", "Column", show=False),
        Binding("right", "column(1)", "Column", show=False),
    ]

    class DetailLoaded(Message):
        def __init__(self, idea_id: str, cycles: list[PdsaCycle]) -> None:
            super().__init__()
            self.idea_id = idea_id
            self.cycles = cycles

    class CyclesFetched(Message):
        def __init__(self, idea: Idea, cycles: list[PdsaCycle], purpose: str) -> None:
            super().__init__()
            self.idea = idea
            self.cycles = cycles
            self.purpose = purpose

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = IdeasData({}, {})
        self.ideas: dict[str, Idea] = {}
        self.measures: dict[str, Measure] = {}
        self.current: IdeaStatus = "new"
        self.selected: str | None = None
        self.show_abandoned = False

    def compose(self) -> ComposeResult:
        yield Static("", id="ideas-summary", markup=False)
        with Horizontal(id="idea-columns"):
            for status in IDEA_STATUSES:
                yield IdeaColumn(status)
        with VerticalScroll(id="idea-detail"):
            yield Static("", id="idea-detail-text", markup=False)
        with Horizontal(id="idea-actions", classes="pane-buttons"):
            with Horizontal(id="idea-buttons"):
                yield Button("Add idea (a)", id="idea-add", variant="primary")
                yield Button("Edit (e)", id="idea-edit")
                yield Button("Start PDSA (t)", id="idea-plan")
                yield Button("PDSA result (r)", id="idea-result")
                yield Button("Show abandoned (v)", id="idea-toggle-abandoned")
            with Horizontal(id="idea-moves"):
                yield Label("Move to:", markup=False)
                for status, key, word in MOVES:
                    yield Button(f"{word} ({key})", id=f"move-{status}")

    def on_mount(self) -> None:
        self.column("abandoned").display = False
        super().on_mount()

    # -- loading and showing ----------------------------------------------------------------

    def fetch(self, db: Reader) -> IdeasData:
        return IdeasData(
            ideas=queries.ideas(db, IDEA_STATUSES, limit=SHOWN_PER_STATUS),
            counts=queries.idea_counts(db),
            measures=queries.measures(db),
        )

    def show(self, data: IdeasData) -> None:
        self.data = data
        self.measures = {measure.id: measure for measure in data.measures}
        self.ideas = {idea.id: idea for ideas in data.ideas.values() for idea in ideas}
        with self.app.batch_update():
            for status in self.shown_statuses():
                self._fill(status)
        self._show_summary()
        self._follow_selection()

    def _fill(self, status: IdeaStatus) -> None:
        cards = CardMaker(self.board.clock.today(), self.measures)
        ideas = self.data.ideas.get(status, [])
        self.column(status).fill(cards, ideas, self.data.counts.get(status, 0), self.selected)

    def _show_summary(self) -> None:
        total = sum(self.data.counts.values())
        hint = "Hide abandoned with v" if self.show_abandoned else "Show abandoned with v"
        summary = f"Ideas — {total:,} on the board · ← → move between columns · {hint}"
        self.query_one("#ideas-summary", Static).update(summary)

    def reload(self) -> None:
        """Reload the cards, and the selected idea's PDSA cycles, which can change while the
        cards stay the same (a cycle's result recorded with 'adapt')."""
        super().reload()
        if self.selected_idea() is not None and self.selected is not None:
            self._load_detail(self.selected)

    def _follow_selection(self) -> None:
        """After a reload, keep the same idea selected, in whichever column it now is."""
        idea = self.ideas.get(self.selected or "")
        if idea is not None and self.is_shown(idea.status):
            moved = idea.status != self.current
            self.current = idea.status
            if moved and self.is_active and isinstance(self.screen.focused, OptionList):
                self.column(idea.status).cards.focus()
        self.select(self.column(self.current).selected_id(), force=True)

    def measure_of(self, idea: Idea) -> Measure | None:
        return self.measures.get(idea.measure_id or "")

    def column(self, status: IdeaStatus) -> IdeaColumn:
        return self.query_one(f"#column-{status}", IdeaColumn)

    def is_shown(self, status: IdeaStatus) -> bool:
        return status != "abandoned" or self.show_abandoned

    def shown_statuses(self) -> list[IdeaStatus]:
        return [status for status in IDEA_STATUSES if self.is_shown(status)]

    def focus_main(self) -> None:
        self.column(self.current).cards.focus()

    # -- the selected idea ------------------------------------------------------------------

    def select(self, idea_id: str | None, force: bool = False) -> None:
        """Make `idea_id` the selected idea and load its detail (PDSA cycles) in a worker."""
        if idea_id == self.selected and not force:
            return
        self.selected = idea_id
        idea = self.selected_idea()
        if idea is None:
            self.query_one("#idea-detail-text", Static).update(self._empty_detail())
            return
        self._load_detail(idea.id)

    def _empty_detail(self) -> str:
        title = IDEA_STATUS_TITLES[self.current]
        return f"No idea selected in {title}. Add one with a."

    def selected_idea(self) -> Idea | None:
        return self.ideas.get(self.selected or "")

    @work(thread=True, exclusive=True, exit_on_error=False, group="idea-detail")
    def _load_detail(self, idea_id: str) -> None:
        with self.board.store.session() as db:
            cycles = queries.pdsa_cycles(db, idea_id)
        self.post_message(self.DetailLoaded(idea_id, cycles))

    def on_ideas_pane_detail_loaded(self, message: DetailLoaded) -> None:
        idea = self.selected_idea()
        if idea is None or idea.id != message.idea_id:
            return
        detail = idea_detail(idea, message.cycles, self.board.clock.today(), self.measure_of(idea))
        self.query_one("#idea-detail-text", Static).update(detail)

    @on(OptionList.OptionHighlighted, ".idea-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        column = event.option_list.parent
        if isinstance(column, IdeaColumn) and column.status == self.current:
            self.select(event.option_id)

    @on(events.DescendantFocus)
    def _column_focused(self, event: events.DescendantFocus) -> None:
        column = event.widget.parent
        if isinstance(column, IdeaColumn) and column.status != self.current:
            self.current = column.status
            self.select(column.selected_id())

    def chosen(self) -> Idea | None:
        """The selected idea, or a note on screen when there is none."""
        idea = self.selected_idea()
        if idea is None:
            self.notify("Choose an idea first (arrow keys or a click).", severity="warning")
        return idea

    # -- keys and buttons -------------------------------------------------------------------

    def action_column(self, step: int) -> None:
        shown = self.shown_statuses()
        index = shown.index(self.current) if self.current in shown else 0
        target = shown[(index + step) % len(shown)]
        self.column(target).cards.focus()

    @on(Button.Pressed, "#idea-add")
    def action_add_idea(self) -> None:
        self.app.push_screen(IdeaForm(self.data.measures), callback=self._after_form)

    @on(Button.Pressed, "#idea-edit")
    def action_edit_idea(self) -> None:
        idea = self.chosen()
        if idea is not None:
            self.app.push_screen(IdeaForm(self.data.measures, idea), callback=self._after_form)

    def _after_form(self, result: str | int | None) -> None:
        if isinstance(result, str):
            self.selected = result
            self.current = "new"
            self.column("new").cards.focus()

    @on(Button.Pressed, "#idea-plan")
    def action_plan_cycle(self) -> None:
        idea = self.chosen()
        if idea is not None:
            self._fetch_cycles(idea, "plan")

    @on(Button.Pressed, "#idea-result")
    def action_record_result(self) -> None:
        idea = self.chosen()
        if idea is not None:
            self._fetch_cycles(idea, "result")

    @work(thread=True, exclusive=True, exit_on_error=False, group="idea-cycles")
    def _fetch_cycles(self, idea: Idea, purpose: str) -> None:
        with self.board.store.session() as db:
            cycles = queries.pdsa_cycles(db, idea.id)
        self.post_message(self.CyclesFetched(idea, cycles, purpose))

    def on_ideas_pane_cycles_fetched(self, message: CyclesFetched) -> None:
        idea, cycles = message.idea, message.cycles
        open_cycle = next((cycle for cycle in reversed(cycles) if cycle.is_open), None)
        if message.purpose == "plan" and open_cycle is not None:
            self.notify(
                f"PDSA cycle {open_cycle.number} is still open: record its result first (r).",
                severity="warning",
                markup=False,
            )
        elif message.purpose == "plan":
            self.app.push_screen(PdsaPlanForm(idea, len(cycles) + 1))
        elif open_cycle is None:
            self.notify("No PDSA cycle is open for this idea: start one (t).", severity="warning")
        else:
            self.app.push_screen(PdsaResultForm(idea, open_cycle))

    def action_move(self, status: IdeaStatus) -> None:
        idea = self.chosen()
        if idea is None:
            return
        if idea.status == status:
            title = IDEA_STATUS_TITLES[status]
            self.notify(f"This idea is already {title}.", markup=False)
            return
        idea_id = idea.id
        self.board.save(
            lambda db, author: commands.set_idea_status(db, author, idea_id, status),
            "ideas",
            "Initials to move this idea",
        )

    @on(Button.Pressed, "#idea-moves Button")
    def _move_button(self, event: Button.Pressed) -> None:
        status = MOVE_BUTTONS.get(event.button.id or "")
        if status is not None:
            self.action_move(status)

    @on(Button.Pressed, "#idea-toggle-abandoned")
    def action_toggle_abandoned(self) -> None:
        self.show_abandoned = not self.show_abandoned
        self.column("abandoned").display = self.show_abandoned
        if self.show_abandoned:
            self._fill("abandoned")
        label = "Hide abandoned (v)" if self.show_abandoned else "Show abandoned (v)"
        self.query_one("#idea-toggle-abandoned", Button).label = label
        self._show_summary()
        if not self.show_abandoned and self.current == "abandoned":
            self.current = "parked"
            self.select(self.column("parked").selected_id())
            if isinstance(self.screen.focused, OptionList):
                self.column("parked").cards.focus()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "narrow")
