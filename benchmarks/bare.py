"""The start-up baseline: a Textual app with a header line, some text and a footer."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Static


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("bare")
        yield Static("\n".join(f"row {n}" for n in range(20)))
        yield Footer()
