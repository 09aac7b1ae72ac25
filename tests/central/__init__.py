"""Tests of the central store, against a real `huddle-central serve` process."""
