"""Worker failures reach the app's banner: `Worker.StateChanged` is posted to the worker's own
widget and does not bubble, so each widget that runs workers mixes this in. (A plain handler
name, not `@on`: Textual registers `@on` handlers only on its own classes, not on mixins.)"""

from __future__ import annotations

from typing import Protocol

from textual.worker import Worker, WorkerState


class _Board(Protocol):
    def worker_failed(self, event: Worker.StateChanged) -> None: ...


class ReportsWorkerFailures:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        board: _Board | None = getattr(self, "app", None)
        if event.state == WorkerState.ERROR and hasattr(board, "worker_failed"):
            assert board is not None
            board.worker_failed(event)
