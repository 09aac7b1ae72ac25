"""Run every benchmark and print its figures beside its baseline and target.

python -m benchmarks            full run
python -m benchmarks --quick    fewer repetitions (a smoke run; figures are rougher)
python -m benchmarks --check    exit 1 when a target is missed
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

from benchmarks import board, report, soak, spc, sync


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--soak-steps",
        type=int,
        help="rotation steps of the kiosk's soak (default 20,000, --quick 2,000; the soak test "
        "in tests/ui/test_soak.py always runs 20,000)",
    )
    args = parser.parse_args()
    runs, rounds = (3, 12) if args.quick else (9, 60)
    print(f"huddle-board benchmarks — Python {platform.python_version()}, {platform.machine()}")
    with tempfile.TemporaryDirectory(prefix="huddle-bench-") as folder:
        figures = board.run(Path(folder), runs=runs, rounds=rounds)
        figures += sync.run(Path(folder))
        figures += spc.run(repeats=runs * 5)
        figures += report.run(Path(folder) / "five-years.db", repeats=runs)
        soak_steps = args.soak_steps or (2_000 if args.quick else 20_000)
        figures += soak.run(Path(folder) / "five-years.db", soak_steps, soak_steps // 10)
    print(f"\n{'figure':<34}{'measured':>15}{'baseline':>16}  {'target':<22}verdict")
    for figure in figures:
        print(figure.line())
    missed = [figure.name for figure in figures if not figure.met]
    if missed:
        print(f"\nmissed: {', '.join(missed)}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
