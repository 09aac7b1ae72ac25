"""One Settings object, built from an optional TOML file and HUDDLE_* environment variables by
`__main__`, then passed in: nothing else reads files or the environment."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_DB = Path("board.db")


@dataclass(frozen=True)
class Settings:
    db_path: Path = DEFAULT_DB
    weeks_shown: int = 8
    initials_ttl_s: int = 120
    daily_huddle_minutes: int = 10
    weekly_huddle_minutes: int = 15
    huddles_listed: int = 30


class SettingsError(ValueError):
    pass


def _coerce(name: str, value: Any, default: Any) -> Any:
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
            values.update(tomllib.load(handle))
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
