"""The Huddle screen (placeholder until it is built)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database
from textual.app import ComposeResult
from textual.widgets import Static

from huddle_board.ui.widgets.pane import BoardPane


class HuddlePane(BoardPane):
    def compose(self) -> ComposeResult:
        yield Static("Huddle")

    def fetch(self, db: Database) -> Any:
        return None

    def show(self, data: Any) -> None:
        pass
