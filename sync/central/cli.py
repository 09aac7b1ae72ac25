"""`huddle-central`: serve the API, migrate the schema, manage device tokens.

    huddle-central serve [--database URL] [--host 127.0.0.1] [--port 8080]
    huddle-central migrate [--database URL]
    huddle-central token create --ward CODE --device NAME [--database URL]
    huddle-central token list [--database URL]
    huddle-central token revoke --device NAME [--database URL]

The database URL is `--database`, else $HUDDLE_CENTRAL_DATABASE (which keeps a password off
the command line), else the SQLite file huddle-central.db in the current folder. A plain path
means a SQLite file."""

from __future__ import annotations

import argparse
import copy
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sync.central import tokens
from sync.central.db import DEFAULT_DATABASE, CentralDB, SchemaTooNew, safe_url

if TYPE_CHECKING:
    from starlette.applications import Starlette

ENV_DATABASE = "HUDDLE_CENTRAL_DATABASE"
ENV_RATE = "HUDDLE_CENTRAL_RATE_PER_MINUTE"
ENV_BURST = "HUDDLE_CENTRAL_BURST"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huddle-central",
        description="The board's central store for huddle-board kiosks (sync protocol v1).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def database(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--database",
            metavar="URL",
            default=None,
            help=f"sqlite:///FILE or postgresql+psycopg://USER@HOST/DB (default: ${ENV_DATABASE}"
            f", else {DEFAULT_DATABASE})",
        )

    serve = commands.add_parser("serve", help="serve the HTTP API (uvicorn)")
    database(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on")
    serve.add_argument(
        "--rate-per-minute",
        type=float,
        default=None,
        help="requests per minute each device may make (0: no limit; default 120)",
    )
    serve.add_argument("--burst", type=int, default=None, help="requests at once (default 30)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (PostgreSQL; keep 1 for SQLite, which has one writer anyway)",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.add_argument(
        "--no-access-log", action="store_true", help="do not log one line per request"
    )

    migrate = commands.add_parser("migrate", help="create or update the database schema")
    database(migrate)

    token = commands.add_parser("token", help="device tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="make a token (shown once, last line)")
    database(create)
    create.add_argument("--ward", required=True, help="the ward code the device pushes for")
    create.add_argument("--device", required=True, help="a unique name for the device")
    listing = token_commands.add_parser("list", help="list devices (never a token)")
    database(listing)
    revoke = token_commands.add_parser("revoke", help="revoke a device's token")
    database(revoke)
    revoke.add_argument("--device", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = args.database or os.environ.get(ENV_DATABASE) or DEFAULT_DATABASE
    try:
        if args.command == "serve":
            return _serve(url, args)
        db = CentralDB(url)
        try:
            version = db.migrate()
            if args.command == "migrate":
                print(f"{safe_url(url)}: schema version {version}")
                return 0
            return _token(db, args)
        finally:
            db.dispose()
    except (ValueError, SchemaTooNew) as error:
        print(f"huddle-central: {error}", file=sys.stderr)
        return 2
    except sa.exc.SQLAlchemyError as error:
        # The first line is the driver's own message; the rest is SQL (values hidden).
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"huddle-central: cannot use the database {safe_url(url)}: {reason}", file=sys.stderr)
        return 1


def _token(db: CentralDB, args: argparse.Namespace) -> int:
    try:
        if args.token_command == "create":
            secret = tokens.create_token(db, args.ward, args.device)
            print(f"New token for device {args.device} (ward {args.ward}).")
            print("It is shown only this once: put it in the kiosk's token file (mode 0600).")
            print(secret)
        elif args.token_command == "revoke":
            if tokens.revoke(db, args.device):
                print(f"Revoked the token of device {args.device}.")
            else:
                print(f"The token of device {args.device} was already revoked.")
        else:
            _print_list(tokens.list_tokens(db))
    except tokens.TokenError as error:
        print(f"huddle-central: {error}", file=sys.stderr)
        return 1
    return 0


def _print_list(found: list[tokens.TokenInfo]) -> None:
    if not found:
        print("No devices yet: make one with `huddle-central token create`.")
        return
    rows = [("DEVICE", "WARD", "CREATED", "LAST USED", "REVOKED")] + [
        (
            info.device,
            info.ward,
            info.created_at,
            info.last_used_at or "never",
            info.revoked_at or "-",
        )
        for info in found
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


class HideLongQueryValues(logging.Filter):
    """Masks long values in the query string of uvicorn's access line.

    The line never holds a header, so never the bearer token; but someone trying the API by
    hand may put a token in a URL. Our own parameters are short (a cursor is at most 28
    characters, a limit 4); a token is 43."""

    LONGEST = 32

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path, mark, query = args[2].partition("?")
            if mark:
                parts = []
                for part in query.split("&"):
                    name, equals, value = part.partition("=")
                    if len(value) > self.LONGEST:
                        value = "[hidden]"
                    parts.append(f"{name}{equals}{value}")
                record.args = (*args[:2], f"{path}?{'&'.join(parts)}", *args[3:])
        return True


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus our own logger and a filter on the access line (see
    HideLongQueryValues)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"hide_long_query_values": {"()": HideLongQueryValues}}
    config["handlers"]["access"]["filters"] = ["hide_long_query_values"]
    config["loggers"]["huddle_central"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def _serve(url: str, args: argparse.Namespace) -> int:
    import uvicorn

    from sync.central.app import DEFAULT_BURST, DEFAULT_RATE_PER_MINUTE

    # Migrate here, once, before any worker starts: a database that cannot be used stops
    # the start with the same plain message as `migrate`.
    db = CentralDB(url)
    try:
        db.migrate()
    finally:
        db.dispose()
    os.environ[ENV_DATABASE] = url
    os.environ[ENV_RATE] = str(
        DEFAULT_RATE_PER_MINUTE if args.rate_per_minute is None else args.rate_per_minute
    )
    os.environ[ENV_BURST] = str(DEFAULT_BURST if args.burst is None else args.burst)
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "lifespan": "on",
        "log_config": _log_config(args.log_level),
        "log_level": args.log_level,
        "access_log": not args.no_access_log,
        "server_header": False,
        "proxy_headers": False,
    }
    if args.workers > 1:
        # Worker processes import the app by name; it reads its settings from the variables
        # set above. Each worker keeps its own rate-limit buckets.
        uvicorn.run(
            "sync.central.cli:app_from_environment", factory=True, workers=args.workers, **options
        )
        return 0
    server = uvicorn.Server(uvicorn.Config(app_from_environment(), **options))
    server.run()
    # uvicorn leaves `started` False when start-up failed (the port taken, say).
    return 0 if server.started else 3


def app_from_environment() -> Starlette:
    """The app as `serve` configured it (through the environment, for worker processes)."""
    from sync.central.app import DEFAULT_BURST, DEFAULT_RATE_PER_MINUTE, create_app

    return create_app(
        os.environ.get(ENV_DATABASE) or DEFAULT_DATABASE,
        rate_per_minute=float(os.environ.get(ENV_RATE) or DEFAULT_RATE_PER_MINUTE),
        burst=int(os.environ.get(ENV_BURST) or DEFAULT_BURST),
        migrate=False,  # `serve` has migrated already
    )


if __name__ == "__main__":
    sys.exit(main())
