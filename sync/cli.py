"""`huddle-sync`: the kiosk's push job without the board, for cron or systemd.

huddle-sync run --db board.db --store https://store.example --token-file token
    push every interval (default 60 s) until stopped (SIGTERM or Ctrl-C)
huddle-sync push --once --db board.db --store https://store.example --token-file token
    one push cycle: until the queue is drained or the store cannot take more
huddle-sync status --db board.db
    waiting, set aside, last success, offline since, refused

Settings come from --settings (TOML) and HUDDLE_* variables, then these options.
Exit codes: 0 ok, 1 store unreachable or busy (try again later), 2 bad usage or settings,
3 refused by the store (token revoked or unknown, wrong ward).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from huddle_board.clock import SystemClock
from huddle_board.config import Settings, SettingsError, load_settings

EXIT_OK, EXIT_RETRYABLE, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3
EXIT_CODES = {
    "synced": EXIT_OK,
    "pending": EXIT_OK,
    "skipped": EXIT_OK,
    "offline": EXIT_RETRYABLE,
    "busy": EXIT_RETRYABLE,
    "refused": EXIT_REFUSED,
    "misconfigured": EXIT_USAGE,
}
EXAMPLES = __doc__.split("\n\n", 1)[1] if __doc__ else ""


def _common() -> argparse.ArgumentParser:
    """Options accepted before or after the subcommand (SUPPRESS: not given stays unset)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="the board's file")
    common.add_argument("--store", default=argparse.SUPPRESS, help="the central store's URL")
    common.add_argument("--token-file", type=Path, default=argparse.SUPPRESS, help="mode 0600")
    common.add_argument("--ca-file", type=Path, default=argparse.SUPPRESS, help="board's own CA")
    common.add_argument("--settings", type=Path, default=argparse.SUPPRESS, help="a TOML file")
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log each cycle"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="huddle-sync",
        description="Push the ward board's entries to the health board's central store.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", parents=[common], help="push every interval until stopped")
    run.add_argument("--interval", type=float, default=None, help="seconds between cycles")
    push = commands.add_parser("push", parents=[common], help="one push cycle")
    push.add_argument("--once", action="store_true", help="one cycle, then exit (the default)")
    commands.add_parser("status", parents=[common], help="show how sync stands")
    return parser


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"huddle-sync: {message}", file=sys.stderr)
    return code


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        getattr(args, "settings", None),
        db_path=getattr(args, "db", None),
        store_url=getattr(args, "store", None),
        token_file=getattr(args, "token_file", None),
        ca_file=getattr(args, "ca_file", None),
        sync_interval_s=getattr(args, "interval", None),
    )


def _check_setup(settings: Settings) -> str | None:
    """What stops a push before it starts (shown, exit 2), or None."""
    from sync.client import TokenFileError, read_token_file

    if not settings.db_path.exists():
        return f"{settings.db_path} does not exist"
    if settings.store_url is None:
        return "no store URL: give --store URL (or store_url in settings, HUDDLE_STORE_URL)"
    if settings.token_file is None:
        return "no token file: give --token-file FILE (or token_file, HUDDLE_TOKEN_FILE)"
    try:
        read_token_file(settings.token_file)
    except TokenFileError as error:
        return str(error)
    if settings.ca_file is not None and not settings.ca_file.is_file():
        return f"CA file {settings.ca_file} does not exist"
    return None


def push_once(settings: Settings) -> int:
    from sync.job import PushJob

    problem = _check_setup(settings)
    if problem:
        return fail(problem)
    job = PushJob(settings.db_path, settings, SystemClock())
    try:
        report = job.run_once()
    except sqlite3.Error as error:
        return fail(f"the board's database cannot be used: {error}", EXIT_RETRYABLE)
    print(
        f"{report.outcome}: {report.sent} sent, {report.applied} applied, "
        f"{report.duplicate} duplicate, {report.stale} stale, {report.set_aside} set aside, "
        f"{report.waiting} waiting"
    )
    if report.detail:
        print(report.detail, file=sys.stderr if not report.ok else sys.stdout)
    if report.retry_after is not None:
        print(f"the store asks to wait {report.retry_after:g} s", file=sys.stderr)
    return EXIT_CODES[report.outcome]


def run_loop(settings: Settings) -> int:
    from sync.job import PushJob

    problem = _check_setup(settings)
    if problem:
        return fail(problem)
    stop = threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    job = PushJob(settings.db_path, settings, SystemClock())
    job.start()
    print(
        f"huddle-sync: pushing {settings.db_path} to {settings.store_url} every "
        f"{settings.sync_interval_s:g} s (stop with Ctrl-C)",
        flush=True,
    )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        job.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_OK


def show_status(settings: Settings) -> int:
    from huddle_board.db.connection import connect_raw
    from sync.state import describe, read_status, set_aside_entries

    if not settings.db_path.exists():
        return fail(f"{settings.db_path} does not exist")
    conn = connect_raw(settings.db_path, read_only=True)
    try:
        status = read_status(conn, settings.sync_configured)
        aside = set_aside_entries(conn, limit=50)
    except sqlite3.Error as error:
        return fail(f"{settings.db_path} cannot be read: {error}")
    finally:
        conn.close()
    if settings.store_url:
        print(f"store:         {settings.store_url}")
    for line in describe(status):
        print(line)
    for entry in aside:
        print(
            f"  set aside: {entry.entity} {entry.entity_id} rev {entry.rev} "
            f"({entry.attempts} attempts): {entry.reason}"
        )
    if status.set_aside > len(aside):
        print(f"  … and {status.set_aside - len(aside)} more")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO
        if getattr(args, "verbose", False) or args.command == "run"
        else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "push" and not getattr(args, "verbose", False):
        logging.getLogger("sync.job").setLevel(logging.ERROR)  # the summary says it all
    try:
        settings = _settings(args)
    except SettingsError as error:
        return fail(str(error))
    if args.command == "run":
        return run_loop(settings)
    if args.command == "push":
        return push_once(settings)
    return show_status(settings)
