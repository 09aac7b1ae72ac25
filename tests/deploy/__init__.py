"""Tests of the kiosk deployment files in kiosk/ (install.sh, systemd units, Windows launcher)."""
