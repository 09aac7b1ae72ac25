"""The board's footer of keys: Textual's Footer without its leak.

Footer rebuilds its keys on every change of focus, and binds each new key's `compact` to the
footer with `data_bind`, which adds a watcher to the footer's list. The list is only pruned
when `compact` changes, which on the board is never, so every old key (a widget with its
styles, about 2,000 objects per round of the four screens) stayed reachable for as long as the
board ran. A kiosk runs for months."""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class BoardFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        self.forget_removed_keys()

    def forget_removed_keys(self) -> None:
        watchers: dict[str, list[tuple[Any, Any]]] = getattr(self, "__watchers", {})
        for name, bound in watchers.items():
            watchers[name] = [(node, callback) for node, callback in bound if node.is_attached]
