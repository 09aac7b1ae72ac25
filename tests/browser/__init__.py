"""End-to-end tests in a real browser: the served board in headless Chromium."""
