"""The board's footer of keys: Textual's Footer without its leak, and without rebuilding keys
that have not changed.

Footer rebuilds its keys on every change of focus, and binds each new key's `compact` to the
footer with `data_bind`, which adds a watcher to the footer's list. The list is only pruned
when `compact` changes, which on the board is never, so every old key (a widget with its
styles, about 2,000 objects per round of the four screens) stayed reachable for as long as the
board ran. A kiosk runs for months.

A change of screen moves the focus several times (the tab bar, the pane, its table), and each
move asked for a rebuild: some eight a switch, a third of the kiosk's rotation step. The keys
are rebuilt only when what they show has changed."""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class BoardFooter(Footer):
    _shown: tuple[object, ...] | None = None

    def _showing(self) -> tuple[object, ...]:
        """What `compose` would show now: the shown bindings, each with whether it is
        enabled, and the footer's own options."""
        keys = tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        return (keys, self.compact, self.show_command_palette, self._bindings_ready)

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        showing = self._showing()
        if showing == self._shown:
            return
        self._shown = showing
        await super().recompose()
        self.forget_removed_keys()

    def forget_removed_keys(self) -> None:
        watchers: dict[str, list[tuple[Any, Any]]] = getattr(self, "__watchers", {})
        for name, bound in watchers.items():
            watchers[name] = [(node, callback) for node, callback in bound if node.is_attached]
