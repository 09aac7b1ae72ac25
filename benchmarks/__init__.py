"""Reproducible performance measurements of huddle-board, each beside a baseline measured in
the same run. Run them all with `python -m benchmarks` (or scripts/bench)."""
