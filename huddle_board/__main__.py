"""Entry point of `huddle-board` and `python -m huddle_board`: parse the arguments, build the
settings, open and migrate the store, build the app and run it (see cli.py)."""

from __future__ import annotations

import sys

from huddle_board.cli import main as cli_main


def main() -> None:
    sys.exit(cli_main())


if __name__ == "__main__":
    main()
