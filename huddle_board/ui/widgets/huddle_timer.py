"""The huddle's countdown: minutes and seconds left in big digits, on screen for the whole
huddle. Amber from 80% of the time, red when over, and always a symbol and a word as well as
the colour ("Time's nearly up", "Over time"). Time is measured with the app's monotonic clock,
so a wall-clock change never moves it and tests can move it by hand."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

TimerState = Literal["idle", "on_time", "nearly_up", "over"]
Elapsed = Callable[[], float]

NEARLY_UP = 0.8
STATE_WORDS: dict[TimerState, str] = {
    "idle": "",
    "on_time": "● On time",
    "nearly_up": "◐ Time's nearly up",
    "over": "⚠ Over time",
}


def timer_state(elapsed_s: float, limit_s: int) -> TimerState:
    """On time, nearly up (from 80% of the time) or over (past the time)."""
    if elapsed_s > limit_s:
        return "over"
    if elapsed_s >= NEARLY_UP * limit_s:
        return "nearly_up"
    return "on_time"


def mm_ss(seconds: int) -> str:
    minutes, rest = divmod(max(0, seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


def countdown_face(elapsed_s: float, limit_s: int) -> str:
    """'10:00' at the start, '01:59' with 1:59 left, '-00:30' half a minute over."""
    if elapsed_s > limit_s:
        return "-" + mm_ss(math.floor(elapsed_s - limit_s))
    return mm_ss(math.ceil(limit_s - elapsed_s))


class HuddleTimer(Horizontal):
    """Big mm:ss remaining, the state in words and the time used. `start()` it with the
    huddle's length and a function giving the seconds used so far; it ticks every second."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.limit_s = 0
        self._elapsed: Elapsed | None = None
        self.state: TimerState = "idle"

    def compose(self) -> ComposeResult:
        yield Digits("", id="timer-digits")
        with Vertical(id="timer-words"):
            yield Static("", id="timer-state", markup=False)
            yield Static("", id="timer-used", markup=False)

    def on_mount(self) -> None:
        self.set_interval(1, self.tick)

    def start(self, limit_s: int, elapsed: Elapsed) -> None:
        self.limit_s = limit_s
        self._elapsed = elapsed
        self.tick()

    def stop(self) -> None:
        self._elapsed = None
        self.state = "idle"
        self.remove_class("amber", "red")

    def elapsed_s(self) -> float:
        return 0.0 if self._elapsed is None else self._elapsed()

    def tick(self) -> None:
        if self._elapsed is None:
            return
        used = self.elapsed_s()
        self.state = timer_state(used, self.limit_s)
        self.set_class(self.state == "nearly_up", "amber")
        self.set_class(self.state == "over", "red")
        self.query_one("#timer-digits", Digits).update(countdown_face(used, self.limit_s))
        self.query_one("#timer-state", Static).update(STATE_WORDS[self.state])
        used_text = f"{mm_ss(math.floor(used))} used of {mm_ss(self.limit_s)}"
        self.query_one("#timer-used", Static).update(used_text)
