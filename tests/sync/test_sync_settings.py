"""The sync settings: TOML keys, HUDDLE_* variables and command-line overrides, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from huddle_board.config import Settings, SettingsError, load_settings
from sync.job import SyncSettings


def test_sync_is_off_by_default() -> None:
    settings = load_settings(env={})
    assert settings.store_url is None and settings.token_file is None
    assert settings.ca_file is None and settings.sync_interval_s == 60.0
    assert not settings.sync_configured


def test_toml_then_environment_then_overrides(tmp_path: Path) -> None:
    file = tmp_path / "board.toml"
    file.write_text(
        'store_url = "https://store.example.nhs.uk/"\n'
        'token_file = "/etc/huddle/token"\n'
        "sync_interval_s = 30\n"
    )
    settings = load_settings(file, env={})
    assert settings.store_url == "https://store.example.nhs.uk"
    assert settings.token_file == Path("/etc/huddle/token")
    assert settings.sync_interval_s == 30.0 and settings.sync_configured
    env = {
        "HUDDLE_STORE_URL": "http://127.0.0.1:8080",
        "HUDDLE_TOKEN_FILE": "/run/token",
        "HUDDLE_CA_FILE": "/etc/huddle/board-ca.pem",
        "HUDDLE_SYNC_INTERVAL": "15.5",
    }
    settings = load_settings(file, env=env)
    assert settings.store_url == "http://127.0.0.1:8080"
    assert settings.token_file == Path("/run/token")
    assert settings.ca_file == Path("/etc/huddle/board-ca.pem")
    assert settings.sync_interval_s == 15.5
    settings = load_settings(file, env=env, store_url="https://other.example", sync_interval_s=5)
    assert settings.store_url == "https://other.example" and settings.sync_interval_s == 5.0
    job_settings = SyncSettings.from_settings(settings)
    assert job_settings.configured and job_settings.interval_s == 5.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HUDDLE_STORE_URL", "ftp://store.example", "http:// or https://"),
        ("HUDDLE_STORE_URL", "store.example", "http:// or https://"),
        ("HUDDLE_STORE_URL", "https://user:pw@store.example", "user name or password"),
        ("HUDDLE_SYNC_INTERVAL", "0", "above 0"),
        ("HUDDLE_SYNC_INTERVAL", "-5", "above 0"),
        ("HUDDLE_SYNC_INTERVAL", "soon", "number of seconds"),
        ("HUDDLE_SYNC_INTERVAL", "inf", "above 0"),
    ],
)
def test_bad_values_are_refused_clearly(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env={name: value})


def test_an_empty_value_means_not_set() -> None:
    settings = load_settings(env={"HUDDLE_STORE_URL": "", "HUDDLE_TOKEN_FILE": ""})
    assert settings == Settings()
