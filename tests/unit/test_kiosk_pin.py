"""Kiosk mode without the screen: the admin PIN (rule, salted hash, `huddle-board set-pin`),
the wrong-PIN lockout, and the kiosk settings (file, environment, `--kiosk`)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from huddle_board import cli
from huddle_board.config import SettingsError, load_settings
from huddle_board.db import connect_raw
from huddle_board.kiosk import (
    LOCKOUT_S,
    MAX_WRONG_TRIES,
    PinGuard,
    PinRefused,
    check_pin,
    hash_pin,
    pin_matches,
    stored_pin,
)

BAD_PINS = ("", "123", "123456789", "12a4", " 1234", "1234\n", "１２３４", "12.4", "-1234")


@pytest.fixture
def board_path(tmp_path: Path) -> Path:
    path = tmp_path / "board.db"
    assert cli.main(["init", "--db", str(path), "--ward", "RAI-7A", "--name", "Ward 7A"]) == 0
    return path


def set_pin_from_stdin(path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    return cli.main(["set-pin", "--db", str(path), "--pin-stdin"])


def read_stored(path: Path) -> str | None:
    conn = connect_raw(path, read_only=True)
    try:
        return stored_pin(conn)
    finally:
        conn.close()


def outbox_rows(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return [(row[0], row[1]) for row in conn.execute("SELECT entity, entity_id FROM outbox")]
    finally:
        conn.close()


def test_a_hash_is_salted_and_checks_only_its_pin() -> None:
    first, second = hash_pin("4821"), hash_pin("4821")
    assert first != second  # a fresh salt each time
    assert "4821" not in first
    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
    assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(digest)) == 32
    assert pin_matches("4821", first) and pin_matches("4821", second)
    for wrong in ("4822", "48210", "", "0000"):
        assert not pin_matches(wrong, first)


@pytest.mark.parametrize(
    "stored",
    ["", "4821", "scrypt$16384$8$1$zz$00", "scrypt$16385$8$1$00$00", "bcrypt$1$2$3$4$5"],
)
def test_a_malformed_hash_matches_nothing(stored: str) -> None:
    assert not pin_matches("4821", stored)


@pytest.mark.parametrize("pin", BAD_PINS)
def test_only_4_to_8_digits_make_a_pin(pin: str) -> None:
    with pytest.raises(PinRefused, match="4 to 8 digits"):
        check_pin(pin)
    with pytest.raises(PinRefused):
        hash_pin(pin)


@pytest.mark.parametrize("pin", ["0000", "12345678", "904512"])
def test_good_pins_pass(pin: str) -> None:
    assert check_pin(pin) == pin


def test_set_pin_from_stdin_stores_only_a_hash(
    board_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert read_stored(board_path) is None
    outbox_before = outbox_rows(board_path)
    assert set_pin_from_stdin(board_path, "4821\n", monkeypatch) == 0
    assert "PIN" in capsys.readouterr().out
    stored = read_stored(board_path)
    assert stored is not None and stored != "4821" and "4821" not in stored
    assert pin_matches("4821", stored) and not pin_matches("1284", stored)
    assert outbox_rows(board_path) == outbox_before  # local: never queued for sync
    # A new PIN replaces the old one.
    assert set_pin_from_stdin(board_path, "77001234\r\n", monkeypatch) == 0
    replaced = read_stored(board_path)
    assert replaced is not None and pin_matches("77001234", replaced)
    assert not pin_matches("4821", replaced)


@pytest.mark.parametrize("line", ["12\n", "123456789\n", "12ab\n", "\n", ""])
def test_set_pin_refuses_a_bad_pin(
    board_path: Path,
    line: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert set_pin_from_stdin(board_path, line, monkeypatch) == 2
    assert "4 to 8 digits" in capsys.readouterr().err
    assert read_stored(board_path) is None


def test_set_pin_asks_twice_and_refuses_two_different_pins(
    board_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["4821", "4812"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["set-pin", "--db", str(board_path)]) == 2
    assert "not the same" in capsys.readouterr().err
    assert read_stored(board_path) is None
    answers = iter(["4821", "4821"])
    assert cli.main(["set-pin", "--db", str(board_path)]) == 0
    stored = read_stored(board_path)
    assert stored is not None and pin_matches("4821", stored)


def test_set_pin_needs_an_existing_board(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    assert set_pin_from_stdin(missing, "4821\n", monkeypatch) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not missing.exists()


def test_the_guard_locks_after_five_wrong_pins_for_a_minute() -> None:
    now = [500.0]
    guard = PinGuard(lambda: now[0])
    for _ in range(MAX_WRONG_TRIES - 1):
        guard.failed()
        assert guard.locked_for() == 0
    guard.failed()
    assert guard.locked_for() == LOCKOUT_S == 60
    now[0] += 59.5
    assert guard.locked_for() == pytest.approx(0.5)
    now[0] += 0.5
    assert guard.locked_for() == 0
    guard.failed()  # the count starts again after a lockout
    assert guard.locked_for() == 0
    guard.succeeded()
    assert guard.wrong == 0


def test_kiosk_settings_from_file_environment_and_command_line(tmp_path: Path) -> None:
    assert load_settings(env={}).kiosk is False
    assert load_settings(env={}).idle_before_rotation_s == 120
    assert load_settings(env={}).rotation_every_s == 30
    file = tmp_path / "settings.toml"
    file.write_text("kiosk = true\nidle_before_rotation_s = 90\nrotation_every_s = 20\n")
    from_file = load_settings(file, env={})
    assert (from_file.kiosk, from_file.idle_before_rotation_s, from_file.rotation_every_s) == (
        True,
        90.0,
        20.0,
    )
    env = {"HUDDLE_KIOSK": "yes", "HUDDLE_IDLE_BEFORE_ROTATION": "45", "HUDDLE_ROTATION_EVERY": "5"}
    from_env = load_settings(env=env)
    assert (from_env.kiosk, from_env.idle_before_rotation_s, from_env.rotation_every_s) == (
        True,
        45.0,
        5.0,
    )
    assert load_settings(file, env={"HUDDLE_KIOSK": "off"}).kiosk is False
    for args in (["--kiosk"], ["--kiosk", "run"], ["run", "--kiosk"]):
        assert cli.settings_from(cli.build_parser().parse_args(args)).kiosk is True
    assert cli.settings_from(cli.build_parser().parse_args(["run"])).kiosk is False


@pytest.mark.parametrize(
    "env",
    [
        {"HUDDLE_KIOSK": "maybe"},
        {"HUDDLE_IDLE_BEFORE_ROTATION": "0"},
        {"HUDDLE_ROTATION_EVERY": "-3"},
        {"HUDDLE_ROTATION_EVERY": "soon"},
        {"HUDDLE_IDLE_BEFORE_ROTATION": "inf"},
    ],
)
def test_bad_kiosk_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        load_settings(env=env)


def test_a_number_is_not_a_kiosk_flag_in_the_file(tmp_path: Path) -> None:
    file = tmp_path / "settings.toml"
    file.write_text("kiosk = 1\n")
    with pytest.raises(SettingsError, match="true or false"):
        load_settings(file, env={})
