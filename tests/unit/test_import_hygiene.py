"""Rules of the house 1 and 2, checked in fresh interpreters: the headless code (db, sync, the
pure core, config) never pulls in Textual, and the pure core imports nothing else from the
project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import huddle_board

PACKAGE_DIR = Path(huddle_board.__file__).parent

HEADLESS = (
    "huddle_board.importer",
    "huddle_board.import_csv",
    "huddle_board.import_mapping",
    "huddle_board.db",
    "huddle_board.db.commands",
    "huddle_board.db.queries",
    "huddle_board.model",
    "huddle_board.clock",
    "huddle_board.config",
    "huddle_board.privacy",
    "sync",
    "sync.protocol",
    "sync.client",
    "sync.outbox",
    "sync.push",
    "sync.job",
    "sync.state",
    "sync.restore",
    "sync.cli",
    "sync.central.app",
    "sync.central.db",
    "sync.central.tokens",
    "sync.central.cli",
)


def modules_after_import(modules: tuple[str, ...], cwd: Path) -> set[str]:
    """The names in sys.modules of a new interpreter after importing `modules`."""
    code = (
        f"import json, sys\nimport {', '.join(modules)}\nprint(json.dumps(sorted(sys.modules)))\n"
    )
    # Run outside the repository so the installed package is what gets imported.
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_headless_modules_do_not_import_textual(tmp_path: Path) -> None:
    loaded = modules_after_import(HEADLESS, tmp_path)
    assert set(HEADLESS) <= loaded
    textual = sorted(name for name in loaded if name == "textual" or name.startswith("textual."))
    assert textual == []


@pytest.mark.parametrize("name", ["model", "privacy", "clock", "spc"])
def test_pure_core_imports_nothing_else_from_the_project(name: str, tmp_path: Path) -> None:
    loaded = modules_after_import((f"huddle_board.{name}",), tmp_path)
    project = {module for module in loaded if module.split(".")[0] in ("huddle_board", "sync")}
    assert project == {"huddle_board", f"huddle_board.{name}"}


def test_the_central_store_needs_nothing_from_the_kiosk(tmp_path: Path) -> None:
    loaded = modules_after_import(("sync.central.app", "sync.central.cli"), tmp_path)
    assert not [module for module in loaded if module.split(".")[0] == "huddle_board"]


def test_the_wire_protocol_is_pure(tmp_path: Path) -> None:
    """Both ends import `sync.protocol`: the central store must not need the kiosk's code."""
    loaded = modules_after_import(("sync.protocol",), tmp_path)
    project = {module for module in loaded if module.split(".")[0] in ("huddle_board", "sync")}
    assert project == {"sync", "sync.protocol"}


def test_the_protocol_names_every_synced_table() -> None:
    from huddle_board.db.migrations import SYNCED_TABLES
    from sync.protocol import ENTITIES

    assert set(ENTITIES) == set(SYNCED_TABLES)
