"""The forms of the Ideas screen: an idea (add or edit, with its PICK placement), the plan of a
PDSA cycle with its prediction, and the result of the open cycle (do, study, act).

Free text is checked for patient identifiers before anything is saved; a refused text stays
in its field with the message on screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, RadioButton, RadioSet, Select, Static, TextArea

if TYPE_CHECKING:
    from sqlite_utils import Database

from huddle_board.db import commands
from huddle_board.db.commands import Author, IdeaDraft, InvalidInput
from huddle_board.model import Effort, Idea, Impact, Measure, PdsaAct, PdsaCycle, pick_letter
from huddle_board.privacy import printable
from huddle_board.ui.widgets.forms import FormScreen, Save

PICK_WORDS: dict[str, str] = {
    "P": "Possible",
    "I": "Implement",
    "C": "Challenge",
    "K": "Kill",
    "?": "Not placed",
}
PICK_STYLES: dict[str, str] = {
    "P": "bold black on cyan",
    "I": "bold black on green",
    "C": "bold black on yellow",
    "K": "bold white on red",
    "?": "bold reverse",
}
IMPACTS: dict[str, Impact] = {"high": "high", "low": "low"}
EFFORTS: dict[str, Effort] = {"easy": "easy", "hard": "hard"}
ACTS: tuple[tuple[PdsaAct | None, str], ...] = (
    (None, "Not yet"),
    ("adopt", "Adopt"),
    ("adapt", "Adapt (new cycle)"),
    ("abandon", "Abandon"),
)


def checked(text: str, field: str, *, required: bool = False) -> str:
    """`commands.check_text`, with the message starting with a capital for the screen."""
    try:
        return commands.check_text(text, field, required=required)
    except InvalidInput as refused:
        message = refused.message[:1].upper() + refused.message[1:]
        raise InvalidInput(refused.field, message) from refused


def text_box(text: str, box_id: str) -> TextArea:
    return TextArea(text, id=box_id, soft_wrap=True, tab_behavior="focus", classes="form-text")


def choice(radio_set: RadioSet) -> str | None:
    """The id (after the last dash) of the pressed button, or None when none is pressed."""
    button = radio_set.pressed_button
    if button is None or button.id is None:
        return None
    return button.id.rsplit("-", 1)[-1]


class IdeaForm(FormScreen[str | int]):
    """Add an idea (returns its id) or edit one (returns its new rev)."""

    SAVE_LABEL = "Save idea"
    WHAT = "ideas"

    def __init__(self, measures: list[Measure], idea: Idea | None = None) -> None:
        super().__init__()
        self.measures = measures
        self.idea = idea
        self.TITLE_TEXT = "New idea" if idea is None else "Edit idea"

    def fields(self) -> ComposeResult:
        idea = self.idea
        with Horizontal(classes="form-row"):
            yield Label("Title", classes="form-label", markup=False)
            yield Input(
                idea.title if idea else "", placeholder="The change to try", id="idea-title"
            )
        with Horizontal(classes="form-row form-row-text"):
            yield Label("Problem it addresses", classes="form-label", markup=False)
            yield text_box(idea.problem if idea else "", "idea-problem")
        with Horizontal(classes="form-row"):
            yield Label("Owner", classes="form-label", markup=False)
            owner = idea.owner if idea and idea.owner else ""
            yield Input(owner, placeholder="e.g. JM", max_length=4, id="idea-owner")
            yield Label("Measure", classes="form-label-short", markup=False)
            yield self._measure_select()
        with Horizontal(classes="form-row"):
            yield Label("Impact", classes="form-label", markup=False)
            yield self._radio_set("impact", ("high", "low"), "High", "Low")
            yield Label("Effort", classes="form-label-short", markup=False)
            yield self._radio_set("effort", ("easy", "hard"), "Easy", "Hard")
        yield Static("", id="idea-pick", markup=False)

    def _measure_select(self) -> Select[str]:
        options = [(printable(measure.name), measure.id) for measure in self.measures]
        chosen = self.idea.measure_id if self.idea else None
        return Select(
            options,
            prompt="No linked measure",
            allow_blank=True,
            value=chosen if chosen in {m.id for m in self.measures} else Select.NULL,
            id="idea-measure",
        )

    def _radio_set(self, name: str, values: tuple[str, str], first: str, second: str) -> RadioSet:
        current = getattr(self.idea, name, None)
        buttons = [
            RadioButton(label, value=current == value, id=f"{name}-{value}")
            for value, label in zip(values, (first, second), strict=True)
        ]
        return RadioSet(*buttons, id=f"idea-{name}", classes="pick-choice")

    def on_mount(self) -> None:
        self._show_pick()

    @on(RadioSet.Changed)
    def _show_pick(self) -> None:
        impact, effort = self._placement()
        letter = pick_letter(impact, effort)
        self.query_one("#idea-pick", Static).update(f"PICK: {letter} {PICK_WORDS[letter]}")

    def _placement(self) -> tuple[Impact | None, Effort | None]:
        impact = choice(self.query_one("#idea-impact", RadioSet))
        effort = choice(self.query_one("#idea-effort", RadioSet))
        return IMPACTS.get(impact or ""), EFFORTS.get(effort or "")

    def _draft(self) -> IdeaDraft:
        owner = self.query_one("#idea-owner", Input).value.strip()
        measure = self.query_one("#idea-measure", Select).value
        impact, effort = self._placement()
        return IdeaDraft(
            title=checked(self.query_one("#idea-title", Input).value, "title", required=True),
            problem=checked(self.query_one("#idea-problem", TextArea).text, "problem"),
            owner=commands.check_initials(owner, "owner") if owner else None,
            measure_id=measure if isinstance(measure, str) else None,
            impact=impact,
            effort=effort,
        )

    def prepare(self) -> Save:
        draft = self._draft()
        idea = self.idea
        if idea is None:
            return lambda db, author: commands.add_idea(db, author, draft)
        idea_id = idea.id
        return lambda db, author: commands.edit_idea(db, author, idea_id, draft)


class PdsaPlanForm(FormScreen[str]):
    """Plan a PDSA cycle with its prediction; saving puts the idea in test."""

    SAVE_LABEL = "Start cycle"
    WHAT = "ideas"

    def __init__(self, idea: Idea, number: int) -> None:
        super().__init__()
        self.idea = idea
        self.TITLE_TEXT = f"Plan PDSA cycle {number} — {printable(idea.title)}"

    def fields(self) -> ComposeResult:
        with Horizontal(classes="form-row form-row-text"):
            yield Label("Plan: what, who, when, where", classes="form-label", markup=False)
            yield text_box("", "pdsa-plan")
        with Horizontal(classes="form-row form-row-text"):
            yield Label("Prediction: what will happen?", classes="form-label", markup=False)
            yield text_box("", "pdsa-prediction")

    def prepare(self) -> Save:
        plan = checked(self.query_one("#pdsa-plan", TextArea).text, "plan", required=True)
        prediction = self.query_one("#pdsa-prediction", TextArea).text
        prediction = checked(prediction, "prediction", required=True)
        idea_id = self.idea.id

        def save(db: Database, author: Author) -> str:
            return commands.start_pdsa_cycle(db, author, idea_id, plan, prediction)

        return save


class PdsaResultForm(FormScreen[int]):
    """Record what happened (do), what was learned (study) and, when decided, the act."""

    SAVE_LABEL = "Save result"
    WHAT = "ideas"

    def __init__(self, idea: Idea, cycle: PdsaCycle) -> None:
        super().__init__()
        self.cycle = cycle
        self.TITLE_TEXT = f"Result of PDSA cycle {cycle.number} — {printable(idea.title)}"

    def fields(self) -> ComposeResult:
        cycle = self.cycle
        planned = f"Plan: {printable(cycle.plan)}\nPrediction: {printable(cycle.prediction)}"
        yield Static(planned, id="pdsa-planned", markup=False)
        with Horizontal(classes="form-row form-row-text"):
            yield Label("Do: what happened", classes="form-label", markup=False)
            yield text_box(cycle.do, "pdsa-do")
        with Horizontal(classes="form-row form-row-text"):
            yield Label("Study: against the prediction", classes="form-label", markup=False)
            yield text_box(cycle.study, "pdsa-study")
        with Horizontal(classes="form-row"):
            yield Label("Act", classes="form-label", markup=False)
            yield RadioSet(
                *(
                    RadioButton(label, value=act is None, id=f"act-{act or 'none'}")
                    for act, label in ACTS
                ),
                id="pdsa-act",
            )

    def _act(self) -> PdsaAct | None:
        picked = choice(self.query_one("#pdsa-act", RadioSet))
        for act, _ in ACTS:
            if act is not None and act == picked:
                return act
        return None

    def prepare(self) -> Save:
        do = checked(self.query_one("#pdsa-do", TextArea).text, "do")
        study = checked(self.query_one("#pdsa-study", TextArea).text, "study")
        act = self._act()
        cycle_id = self.cycle.id

        def save(db: Database, author: Author) -> int:
            return commands.record_pdsa_result(db, author, cycle_id, do, study, act)

        return save
