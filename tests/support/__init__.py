"""Helpers shared by the test suites: real servers (huddle-central, PostgreSQL) and their
fixtures."""
