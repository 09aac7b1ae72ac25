"""The `huddle-board` command line: thin subcommands over the library.

huddle-board --db board.db                     open the board
huddle-board run --db board.db                 the same
huddle-board --kiosk --db board.db             the board as a wall display (no key quits)
huddle-board set-pin --db board.db             set the kiosk's admin PIN (asked twice)
huddle-board init --db board.db --ward RAI-7A --name "Ward 7A"
huddle-board demo --db demo.db [--ward CODE] [--weeks N]
huddle-board export --db board.db --csv out/
huddle-board restore --store https://store.example --token-file token --db new.db
huddle-board report --db board.db --week 2026-W47 --out report.html [--format md]
huddle-board import values figures.csv --map figures.toml --db board.db --initials JM
             [--dry-run] [--replace]
huddle-board serve --db board.db [--host 127.0.0.1] [--port 8000]   the board in a browser
"""

from __future__ import annotations

import argparse
import gc
import shlex
import sqlite3
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from huddle_board.clock import Clock, SystemClock
from huddle_board.config import Settings, SettingsError, load_settings
from huddle_board.db import check_store, open_for_reading, open_store, queries
from huddle_board.model import Ward

if TYPE_CHECKING:
    from huddle_board.ui.app import HuddleBoardApp

EXAMPLES = __doc__.split("\n\n", 1)[1] if __doc__ else ""
IMPORT_EXAMPLE = """\
example:
  huddle-board import values finance.csv --map finance.toml --db board.db --dry-run
  huddle-board import values finance.csv --map finance.toml --db board.db --initials JM

finance.toml names the column with the week (a date on any day of it, or 2026-W47) and, for
each measure (its name on the board, or its id), the column with its figures:
  week_column = "Week ending"
  date_format = "%d/%m/%Y"          # optional; 2026-11-29, 29/11/2026, 2026-W48 read anyway
  missing = ["n/a", "-"]            # optional: cells meaning "no figure", besides empty ones
  [measures]
  "Bank nursing spend" = "Bank £"
  "Falls per 1,000 occupied bed days" = { numerator = "Falls", denominator = "Bed days" }

Every row is checked first; any problem (listed by line) and nothing is written. A week that
already has a value for a measure is refused unless --replace. Exit status: 0 imported (or
checked, with --dry-run), 1 rows refused, 2 the mapping, the file or the board is wrong."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huddle-board",
        description="A visual management board for a ward's huddles, box score and ideas.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", type=Path, help="the board's SQLite file (default board.db)")
    parser.add_argument("--settings", type=Path, help="a TOML settings file")
    parser.add_argument(
        "--kiosk", action="store_const", const=True, help="kiosk mode: no key quits; admin PIN"
    )
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="open the board (the default)")
    run.add_argument("--db", type=Path, dest="sub_db")
    run.add_argument("--kiosk", action="store_const", const=True, dest="sub_kiosk")
    serve = commands.add_parser("serve", help="serve the board to a browser (textual-serve)")
    serve.add_argument("--db", type=Path, dest="sub_db")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--kiosk", action="store_const", const=True, dest="sub_kiosk")
    set_pin = commands.add_parser("set-pin", help="set the kiosk's admin PIN")
    set_pin.add_argument("--db", type=Path, dest="sub_db")
    set_pin.add_argument(
        "--pin-stdin", action="store_true", help="read the PIN from one line of standard input"
    )
    init = commands.add_parser("init", help="set up a new board for a ward")
    init.add_argument("--db", type=Path, dest="sub_db")
    init.add_argument("--ward", required=True, help="ward code, e.g. RAI-7A")
    init.add_argument("--name", required=True, help='ward name, e.g. "Ward 7A Respiratory"')
    demo = commands.add_parser("demo", help="create a demo ward with two years of data")
    demo.add_argument("--db", type=Path, dest="sub_db", required=True)
    demo.add_argument("--ward", default="DEMO-7A", help="ward code (default DEMO-7A)")
    demo.add_argument("--weeks", type=int, default=104, help="weeks of values (default 104)")
    export = commands.add_parser("export", help="write the board's data as CSV files")
    export.add_argument("--db", type=Path, dest="sub_db")
    export.add_argument("--csv", type=Path, required=True, help="folder for the CSV files")
    restore = commands.add_parser("restore", help="rebuild this ward's board from the store")
    restore.add_argument("--db", type=Path, dest="sub_db", required=True, help="a new file")
    restore.add_argument("--store", help="the central store's URL")
    restore.add_argument("--token-file", type=Path, help="the device token (mode 0600)")
    restore.add_argument("--ca-file", type=Path, help="the board's own CA certificate")
    imports = commands.add_parser("import", help="import weekly figures from a CSV file")
    imported = imports.add_subparsers(dest="what", required=True, metavar="values")
    values = imported.add_parser(
        "values",
        help="a CSV of weekly figures, its columns mapped to measures by a TOML file",
        epilog=IMPORT_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    values.add_argument("file", type=Path, help="the CSV file")
    values.add_argument(
        "--map", type=Path, required=True, dest="mapping", metavar="MAPPING.toml", help="see below"
    )
    values.add_argument("--db", type=Path, dest="sub_db", metavar="PATH", help="the board's file")
    values.add_argument("--initials", help="who is importing, e.g. JM (not for --dry-run)")
    values.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    values.add_argument("--replace", action="store_true", help="overwrite values already stored")
    report = commands.add_parser("report", help="write a week's report-out (HTML or Markdown)")
    report.add_argument("--db", type=Path, dest="sub_db")
    report.add_argument("--week", required=True, help="the ISO week, e.g. 2026-W47")
    report.add_argument("--out", type=Path, required=True, help="the file to write")
    report.add_argument(
        "--format",
        choices=("html", "md"),
        dest="report_format",
        help="html (one self-contained page, the default) or md; a .md --out means md",
    )
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    db_path = getattr(args, "sub_db", None) or args.db
    return load_settings(
        args.settings,
        db_path=db_path,
        store_url=getattr(args, "store", None),
        token_file=getattr(args, "token_file", None),
        ca_file=getattr(args, "ca_file", None),
        kiosk=True if args.kiosk or getattr(args, "sub_kiosk", None) else None,
    )


def fail(message: str) -> int:
    print(f"huddle-board: {message}", file=sys.stderr)
    return 2


class BoardNotReady(Exception):
    """The board cannot open on this file; the message says what to do."""


def prepare_board(settings: Settings, clock: Clock) -> HuddleBoardApp:
    """Open, check and migrate the store, read the ward and the first screen, build the app:
    the one way the board starts, for the command line and the start-up benchmark alike."""
    # Start-up creates some hundred thousand objects (Textual's modules, styles, widgets) that
    # live as long as the board: the cyclic garbage collector would walk them several times
    # before the first frame, a third of the start-up time. The app (`manage_gc`) turns it
    # back on, with these objects frozen out of its way, once its first frame is drawn.
    gc.disable()
    try:
        return _prepare_board(settings, clock)
    except BaseException:
        gc.enable()
        raise


def _prepare_board(settings: Settings, clock: Clock) -> HuddleBoardApp:
    if not settings.db_path.exists():
        raise BoardNotReady(
            f"{settings.db_path} does not exist. Set up a ward first:\n"
            f'  huddle-board init --db {settings.db_path} --ward CODE --name "Ward name"\n'
            f"or try the demo: huddle-board demo --db demo.db"
        )
    # The file's quick_check reads all of it; SQLite lets go of the GIL meanwhile, so it runs
    # in a thread of its own (its own connection, opened and closed there) while Textual is
    # imported.
    checking = ThreadPoolExecutor(1, thread_name_prefix="quick-check")
    try:
        checked = checking.submit(check_store, settings.db_path)
        from huddle_board.ui.app import make_app  # Textual only when the board opens
        from huddle_board.ui.screens.box_score import load_box_score

        health = checked.result()
    finally:
        checking.shutdown()
    from huddle_board.kiosk import stored_settings, with_admin_settings

    db, health = open_for_reading(settings.db_path, health)
    first_screen = first_counts = None
    file_settings = settings
    try:
        settings = with_admin_settings(settings, stored_settings(db))
        ward = queries.ward(db)
        # Read the first screen now, so the board's first frame is already complete.
        first_screen = load_box_score(db, clock.today(), settings.weeks_shown)
        first_counts = queries.action_counts(db, clock.today())
    except sqlite3.DatabaseError:
        if health.ok:
            raise
        ward = Ward("?", "Ward unknown: the database is damaged")
    finally:
        db.close()
    if ward is None:
        raise BoardNotReady(f"{settings.db_path} has no ward: run `huddle-board init` first.")
    app = make_app(
        settings,
        settings.db_path,
        health,
        ward,
        clock,
        first_screen=first_screen,
        first_counts=first_counts,
        manage_gc=True,
    )
    app.file_settings = file_settings
    if settings.sync_configured:
        app.after_first_frame.append(partial(start_sync, app, settings, clock))
    return app


def start_sync(app: HuddleBoardApp, settings: Settings, clock: Clock) -> None:
    """The push job, in its own thread with its own connection. The board runs this in a
    worker after its first frame, so neither httpx's import nor a first push delays it."""
    from sync.job import PushJob

    job = PushJob(settings.db_path, settings, clock)
    job.start()
    app.sync_job = job
    app.sync_wake = job.wake


def run_board(settings: Settings) -> int:
    try:
        app = prepare_board(settings, SystemClock())
    except BoardNotReady as problem:
        return fail(str(problem))
    try:
        app.run()
    finally:
        if app.sync_job is not None:
            app.sync_job.shutdown(wait=False)  # the queue is in the file: nothing is lost
    return 0


def init_board(settings: Settings, code: str, name: str) -> int:
    from huddle_board.db.commands import InvalidInput, set_ward

    db, health = open_store(settings.db_path)
    if not health.ok:
        return fail(health.problem)
    try:
        set_ward(db, code, name, SystemClock())
    except InvalidInput as refused:
        return fail(refused.message)
    finally:
        db.close()
    print(f"Board {settings.db_path} is set up for ward {code.upper()}.")
    return 0


def make_demo(settings: Settings, code: str, weeks: int) -> int:
    from huddle_board.db.commands import InvalidInput
    from huddle_board.demo import build_demo_ward

    if settings.db_path.exists():
        return fail(f"{settings.db_path} already exists; the demo writes a new file.")
    if not 8 <= weeks <= 520:
        return fail("--weeks must be between 8 and 520.")
    db, _ = open_store(settings.db_path)
    try:
        build_demo_ward(db, code=code, weeks=weeks, clock=SystemClock())
    except InvalidInput as refused:
        return fail(refused.message)
    finally:
        db.close()
    print(f"Demo ward {code} written to {settings.db_path}.")
    return 0


def export_board(settings: Settings, folder: Path) -> int:
    from huddle_board.export import export_csv

    if not settings.db_path.exists():
        return fail(f"{settings.db_path} does not exist.")
    db, _ = open_store(settings.db_path)
    try:
        counts = export_csv(db, folder)
    finally:
        db.close()
    for name, count in counts.items():
        print(f"{folder / name}: {count} rows")
    return 0


def restore_board(settings: Settings) -> int:
    from sync.restore import run_restore  # logic lives in sync/restore.py

    return run_restore(
        settings.db_path, settings.store_url, settings.token_file, settings.ca_file, SystemClock()
    )


def set_admin_pin(settings: Settings, from_stdin: bool) -> int:
    """Ask for the kiosk's admin PIN (twice, not echoed) or read one line of standard input,
    and store only its salted hash in the board's file."""
    from huddle_board.kiosk import PinRefused, check_pin, set_pin

    if not settings.db_path.exists():
        return fail(f"{settings.db_path} does not exist: set up the board first.")
    try:
        if from_stdin:
            pin = sys.stdin.readline().rstrip("\r\n")
        else:
            import getpass

            pin = getpass.getpass("New admin PIN (4 to 8 digits): ")
            check_pin(pin)
            if getpass.getpass("The same PIN again: ") != pin:
                return fail("The two PINs are not the same; the PIN was not changed.")
        check_pin(pin)
    except PinRefused as refused:
        return fail(f"{refused} The PIN was not changed.")
    except (EOFError, KeyboardInterrupt):
        return fail("No PIN given; the PIN was not changed.")
    db, health = open_store(settings.db_path)
    try:
        if not health.ok:
            return fail(health.problem)
        set_pin(db.conn, pin, SystemClock())
    finally:
        db.close()
    print(f"The admin PIN for {settings.db_path} is set (only its salted hash is stored).")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
    except SettingsError as error:
        return fail(str(error))
    if args.command == "init":
        return init_board(settings, args.ward, args.name)
    if args.command == "demo":
        return make_demo(settings, args.ward, args.weeks)
    if args.command == "export":
        return export_board(settings, args.csv)
    if args.command == "restore":
        return restore_board(settings)
    if args.command == "set-pin":
        return set_admin_pin(settings, args.pin_stdin)
    if args.command == "serve":
        return serve_board(settings, args.settings, args.host, args.port)
    if args.command == "import":
        return import_values(settings, args)
    if args.command == "report":
        return report_command(settings, args.week, args.out, args.report_format)
    return run_board(settings)


def board_command(settings: Settings, settings_file: Path | None) -> list[str]:
    """The command line that runs this same board (file, settings, kiosk mode)."""
    command = [sys.executable, "-m", "huddle_board", "--db", str(settings.db_path.resolve())]
    if settings_file is not None:
        command += ["--settings", str(settings_file.resolve())]
    if settings.kiosk:
        command.append("--kiosk")
    return command


def serve_board(settings: Settings, settings_file: Path | None, host: str, port: int) -> int:
    """The board in a browser: textual-serve runs one board process per browser session
    (each with its own connections to the file), and the browser draws its screen."""
    if not settings.db_path.exists():
        return fail(f"{settings.db_path} does not exist. Set up a ward first (huddle-board init).")
    if not 0 < port < 65536:
        return fail("--port must be between 1 and 65535.")
    from textual_serve.server import Server

    title = f"huddle-board — {settings.db_path.name}"
    Server(shlex.join(board_command(settings, settings_file)), host, port, title=title).serve()
    return 0


def import_values(settings: Settings, args: argparse.Namespace) -> int:
    """`import values`: check a CSV of weekly figures against the board and import all of it,
    or nothing (with --dry-run, only check it). The logic is in `huddle_board.importer`."""
    from huddle_board.db import StoreUnavailable
    from huddle_board.db.commands import Author, InvalidInput, check_initials
    from huddle_board.importer import ImportRefused, check_values_file, import_values_file

    if not settings.db_path.exists():
        return fail(f"{settings.db_path} does not exist.")
    if not args.dry_run and not args.initials:
        return fail("--initials is needed: who is importing (2 to 4 letters, e.g. JM).")
    db, health = open_store(settings.db_path)
    try:
        initials = check_initials(args.initials, "--initials") if args.initials else ""
        ward, clock, replace = queries.ward(db), SystemClock(), args.replace
        if ward is None:
            return fail(f"{settings.db_path} has no ward: run `huddle-board init` first.")
        done = "Dry run: nothing was written."
        if args.dry_run:
            check = check_values_file(db, args.file, args.mapping, clock.today(), replace=replace)
        elif not health.ok:
            return fail(health.problem)
        else:
            author = Author(ward.code, initials, clock)
            outcome = import_values_file(db, author, args.file, args.mapping, replace=replace)
            check, done = outcome.check, outcome.done
    except (ImportRefused, InvalidInput) as refused:
        return fail(refused.message)
    except StoreUnavailable as refused:
        return fail(f"{refused}; nothing was imported.")
    finally:
        db.close()
    if not check.ok:
        report = check.problem_report("Use --replace to overwrite the values already stored.")
        print("huddle-board: " + "\n".join(report), file=sys.stderr)
        return 1
    print("\n".join([*check.summary(), done]))
    return 0


def report_command(settings: Settings, week: str, out: Path, form: str | None) -> int:
    """`report`: the week's review as one self-contained HTML page (or Markdown), written
    whole or not at all. The logic is in `huddle_board.review` and `huddle_board.report`."""
    from huddle_board.report import ReportRefused, render_html, render_markdown, write_report
    from huddle_board.review import WeekNotStarted, parse_week, week_review

    try:
        monday = parse_week(week)
    except ValueError as problem:
        return fail(str(problem))
    if not settings.db_path.exists():
        return fail(f"{settings.db_path} does not exist.")
    markdown = form == "md" or (form is None and out.suffix.lower() in (".md", ".markdown"))
    today = SystemClock().today()
    db, health = open_for_reading(settings.db_path)
    try:
        if not health.ok:
            return fail(health.problem)
        if queries.ward(db) is None:
            return fail(f"{settings.db_path} has no ward: run `huddle-board init` first.")
        review = week_review(db, monday, today=today)
        text = (render_markdown if markdown else render_html)(review, generated_on=today)
    except (WeekNotStarted, ReportRefused) as refused:
        return fail(str(refused))
    finally:
        db.close()
    try:
        write_report(out, text)
    except OSError as error:
        return fail(f"{out} could not be written ({error.strerror or error}); nothing was written.")
    print(f"Week review {review.label} of {review.ward.name} written to {out}.")
    return 0
