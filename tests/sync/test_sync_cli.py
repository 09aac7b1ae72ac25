"""`huddle-sync` as an operator meets it: its exit codes (0 ok, 1 store unreachable, 2 bad
usage or settings, 3 refused), `status`, and `run` stopping cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from e2e_support import assert_store_matches
from sqlite_utils import Database
from sync_support import write_token

from huddle_board.db import commands
from huddle_board.db.commands import Author, IdeaDraft
from sync import outbox
from tests.support.central import CentralProcess, free_port

SYNC = str(Path(sys.executable).parent / "huddle-sync")


def _sync(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYNC, *map(str, args)], capture_output=True, text=True, timeout=60, env=env
    )


def test_bad_usage_and_settings_exit_2(store: Database, store_path: Path, tmp_path: Path) -> None:
    assert _sync().returncode == 2  # no command
    done = _sync("push", "--once", "--db", store_path)
    assert done.returncode == 2 and "no store URL" in done.stderr
    done = _sync("push", "--once", "--db", store_path, "--store", "ftp://x")
    assert done.returncode == 2 and "http:// or https://" in done.stderr
    token_file = write_token(tmp_path, "secret-token-value")
    token_file.chmod(0o640)
    done = _sync("push", "--once", "--db", store_path, "--store", "http://127.0.0.1:9",
                 "--token-file", token_file)  # fmt: skip
    assert done.returncode == 2 and "must be 0600" in done.stderr
    assert "secret-token-value" not in done.stderr
    done = _sync("status", "--db", tmp_path / "missing.db")
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_an_unreachable_store_exits_1_and_keeps_the_queue(
    store: Database, author: Author, store_path: Path, tmp_path: Path
) -> None:
    commands.add_idea(store, author, IdeaDraft("Waiting for the network"))
    token_file = write_token(tmp_path, "secret-token-value")
    nobody = f"http://127.0.0.1:{free_port()}"
    done = _sync("push", "--once", "--db", store_path, "--store", nobody, "--token-file",
                 token_file)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("offline:")
    assert "secret-token-value" not in done.stdout + done.stderr
    shown = _sync("status", "--db", store_path, "--store", nobody, "--token-file", token_file)
    assert shown.returncode == 0
    assert "sync:          offline" in shown.stdout
    assert "waiting:       1" in shown.stdout
    assert outbox.count_waiting(store) == 1


def test_run_pushes_until_sigterm_then_exits_0(
    store: Database,
    author: Author,
    store_path: Path,
    tmp_path: Path,
    central_sqlite: CentralProcess,
) -> None:
    token_file = write_token(tmp_path, central_sqlite.token("DEMO-7A", "kiosk-1"))
    settings = tmp_path / "board.toml"
    settings.write_text(
        f'store_url = "{central_sqlite.url}"\ntoken_file = "{token_file}"\nsync_interval_s = 0.1\n'
    )
    for n in range(5):
        commands.add_idea(store, author, IdeaDraft(f"Idea {n}"))
    process = subprocess.Popen(
        [SYNC, "run", "--db", str(store_path), "--settings", str(settings)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while outbox.count_waiting(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        commands.add_idea(store, author, IdeaDraft("One more"))
        while outbox.count_waiting(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "pushing" in out
    assert outbox.count_waiting(store) == 0
    assert_store_matches(store, central_sqlite, "DEMO-7A")
    assert store.execute("SELECT COUNT(*) FROM sync_lease").fetchone()[0] == 0
    token = token_file.read_text().strip()
    assert token not in out + err + central_sqlite.log_text()
