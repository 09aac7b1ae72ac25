"""Messages that flow between the board's panes, forms and the app."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class DataChanged(Message):
    """Something was written to the store: panes that show it reload."""

    what: str


@dataclass
class Problem(Message):
    """A read or write failed: the app shows it in the banner; the board carries on."""

    text: str
