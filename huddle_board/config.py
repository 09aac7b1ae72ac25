"""One Settings object, built from an optional TOML file and HUDDLE_* environment variables by
`__main__`, then passed in: nothing else reads files or the environment."""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_DB = Path("board.db")
# The board's themes (`theme` setting): Textual's own dark theme, and black, white and yellow
# for a wall display read from across the corridor (huddle_board/ui/theme.py).
DEFAULT_THEME = "textual-dark"
THEMES = (DEFAULT_THEME, "high-contrast")


@dataclass(frozen=True)
class Settings:
    db_path: Path = DEFAULT_DB
    weeks_shown: int = 8
    initials_ttl_s: int = 120
    daily_huddle_minutes: int = 10
    weekly_huddle_minutes: int = 15
    huddles_listed: int = 30
    # Sync with the board's central store (huddle-central); off unless both are set.
    store_url: str | None = None
    token_file: Path | None = None
    ca_file: Path | None = None
    sync_interval_s: float = 60.0
    # Kiosk mode (`huddle-board --kiosk`): no key quits, admin behind a PIN, and the board
    # rotates through its screens once nobody has touched it for a while.
    kiosk: bool = False
    idle_before_rotation_s: float = 120.0
    rotation_every_s: float = 30.0
    # Also in kiosk mode: dimmed between these local times (HH:MM; a window may cross
    # midnight), and the whole layout shifted by one cell every `burn_in_shift_s`.
    night_start: str = "22:00"
    night_end: str = "06:00"
    burn_in_shift_s: float = 300.0
    # Also in kiosk mode: a form, the PIN or the admin screen left open this long with nobody
    # touching the board is closed (unsaved), so the board goes back to rotating.
    form_timeout_s: float = 300.0
    # The board's look (one of THEMES), and the box score's headline figures in large digits:
    # None (the default, "auto" in the settings file) means on in kiosk mode, off otherwise.
    theme: str = DEFAULT_THEME
    large_figures: bool | None = None

    @property
    def show_large_figures(self) -> bool:
        """Whether the box score shows its headline figures in large digits."""
        return self.kiosk if self.large_figures is None else self.large_figures

    @property
    def sync_configured(self) -> bool:
        """Whether this kiosk pushes to a central store: a store URL and a token file."""
        return self.store_url is not None and self.token_file is not None


class SettingsError(ValueError):
    pass


# Settings whose default is None, by the type a given value becomes.
_OPTIONAL_PATHS = ("token_file", "ca_file")
# Environment names that differ from HUDDLE_<FIELD NAME>.
_ENV_ALIASES = {
    "HUDDLE_SYNC_INTERVAL": "sync_interval_s",
    "HUDDLE_IDLE_BEFORE_ROTATION": "idle_before_rotation_s",
    "HUDDLE_ROTATION_EVERY": "rotation_every_s",
    "HUDDLE_BURN_IN_SHIFT": "burn_in_shift_s",
    "HUDDLE_FORM_TIMEOUT": "form_timeout_s",
}
# Settings that are true, false or (None) "auto".
_OPTIONAL_FLAGS = ("large_figures",)
# Settings that are a time of day, HH:MM.
_TIMES_OF_DAY = ("night_start", "night_end")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _coerce(name: str, value: Any, default: Any) -> Any:
    if name == "store_url":
        return _store_url(value)
    if name in _TIMES_OF_DAY:
        return _time_of_day(name, value)
    if name == "theme":
        return _theme(value)
    if name in _OPTIONAL_FLAGS:
        return _optional_flag(name, value)
    if name in _OPTIONAL_PATHS:
        if not isinstance(value, str | Path):
            raise SettingsError(f"setting {name!r} must be a file path")
        return Path(value) if str(value).strip() else None
    if isinstance(default, bool):
        return _flag(name, value)
    if isinstance(default, float):
        try:
            number = float(value)
        except (TypeError, ValueError) as error:
            raise SettingsError(f"setting {name!r} must be a number of seconds") from error
        if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
            raise SettingsError(f"setting {name!r} must be a number of seconds above 0")
        return number
    try:
        if isinstance(default, Path):
            return Path(value)
        if isinstance(default, int):
            number = int(value)
            if number <= 0:
                raise ValueError
            return number
    except (TypeError, ValueError) as error:
        raise SettingsError(f"setting {name!r} must be a positive whole number") from error
    return value


def _flag(name: str, value: Any) -> bool:
    """true/false in TOML; 1/0, true/false, yes/no or on/off in the environment."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise SettingsError(f"setting {name!r} must be true or false")


def _optional_flag(name: str, value: Any) -> bool | None:
    """Like `_flag`, or "auto" (None: the board decides)."""
    if isinstance(value, str) and value.strip().lower() in ("auto", ""):
        return None
    try:
        return _flag(name, value)
    except SettingsError:
        raise SettingsError(f"setting {name!r} must be true, false or auto") from None


def _theme(value: Any) -> str:
    name = value.strip().lower() if isinstance(value, str) else value
    if name not in THEMES:
        raise SettingsError(f"setting 'theme' must be one of {', '.join(THEMES)}, not {value!r}")
    return str(name)


def _time_of_day(name: str, value: Any) -> str:
    """'HH:MM' (24-hour) as text, or a TOML local time; kept as 'HH:MM'."""
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, str):
        from huddle_board.staleness import parse_hhmm

        try:
            return f"{parse_hhmm(value):%H:%M}"
        except ValueError:
            pass
    raise SettingsError(f"setting {name!r} must be a time of day as HH:MM, like 22:00")


def _store_url(value: Any) -> str | None:
    """An http(s) URL with a host; an empty value means 'no store' (sync off)."""
    if not isinstance(value, str):
        raise SettingsError("setting 'store_url' must be a URL like https://store.example.nhs.uk")
    text = value.strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"setting 'store_url' must be an http:// or https:// URL with a host, not {text!r}"
        )
    if parts.username or parts.password:
        raise SettingsError("setting 'store_url' must not hold a user name or password")
    return text.rstrip("/")


def setting_value(name: str, value: Any) -> Any:
    """`value` (as in the settings file or the environment) checked and converted for the
    setting `name`; SettingsError saying what it must be."""
    known = {item.name for item in fields(Settings)}
    if name not in known:
        raise SettingsError(f"unknown setting: {name}")
    return _coerce(name, value, getattr(Settings(), name))


def load_settings(
    file: Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings from the TOML `file` (if given and present), then HUDDLE_<NAME> variables in
    `env`, then explicit `overrides` (from the command line); later sources win."""
    env = os.environ if env is None else env
    base = Settings()
    values: dict[str, Any] = {}
    if file is not None and file.exists():
        with file.open("rb") as handle:
            import tomllib  # only when there is a settings file

            values.update(tomllib.load(handle))
    for alias, name in _ENV_ALIASES.items():
        if alias in env:
            values[name] = env[alias]
    for item in fields(Settings):
        key = f"HUDDLE_{item.name.upper()}"
        if key in env:
            values[item.name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {item.name: getattr(base, item.name) for item in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
    return replace(base, **{k: _coerce(k, v, known[k]) for k, v in values.items()})
