"""The kiosk's deployment files in kiosk/: install.sh, the systemd units, the settings file.

shellcheck and systemd-analyze are needed: where either is missing these tests fail, unless
HUDDLE_REQUIRE_DEPLOY_TOOLS is set empty (then they skip). ./scripts/test installs both.

`systemd-analyze verify` runs on copies of the units in which each ExecStart*/ExecStop* program
that does not exist on this machine (/opt/huddle-board/bin/huddle-board, cage, chromium) is
replaced by /bin/true, arguments kept. verify then has nothing to say about a correct unit, so
any line it prints about ours is a failure. Filtering its "Command ... is not executable" lines
instead would hang the test on that message's wording (it differs between systemd versions) and
could let through a real error printed the same way.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from huddle_board.cli import build_parser
from huddle_board.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
KIOSK = ROOT / "kiosk"
INSTALL = KIOSK / "install.sh"
UNITS = sorted((KIOSK / "systemd").glob("*.service"))
UNIT_NAMES = {
    "huddle-board-console.service",
    "huddle-board-serve.service",
    "huddle-board-browser.service",
}
REQUIRE_TOOLS = "HUDDLE_REQUIRE_DEPLOY_TOOLS"
EXEC = re.compile(r"^(Exec(?:Start|StartPre|StartPost|Stop|StopPost|Reload))=([-@:+!]*)(\S+)")
# Commands that change the system: in a dry run install.sh must call none of them.
MUTATING = (
    "useradd",
    "usermod",
    "install",
    "systemctl",
    "apt-get",
    "mkdir",
    "chown",
    "chmod",
    "cp",
    "pip",
)


def tool(name: str) -> str:
    """The path of `name`; fails (or skips, with HUDDLE_REQUIRE_DEPLOY_TOOLS set empty)."""
    found = shutil.which(name)
    if found:
        return found
    package = {"systemd-analyze": "systemd"}.get(name, name)
    if os.environ.get(REQUIRE_TOOLS, "1"):
        pytest.fail(
            f"{name} is missing: install it (apt-get install {package}; ./scripts/test does), "
            f"or set {REQUIRE_TOOLS}= (empty) to skip the deployment checks"
        )
    pytest.skip(f"{name} is missing (apt-get install {package})")


def run_install(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALL), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def as_non_root(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment in which `id -u` says 1000 and every command that would change the
    system only writes its name to a log (yielded env; the log is tmp_path / "calls")."""
    shims = tmp_path / "bin"
    shims.mkdir()
    log = tmp_path / "calls"
    log.touch()
    (shims / "id").write_text(
        '#!/bin/sh\n[ "$1" = -u ] && { echo 1000; exit 0; }\nexec /usr/bin/id "$@"\n'
    )
    for name in MUTATING:
        (shims / name).write_text(f'#!/bin/sh\necho "{name} $*" >>"{log}"\n')
    for shim in shims.iterdir():
        shim.chmod(0o755)
    yield {**os.environ, "PATH": f"{shims}:{os.environ['PATH']}"}


def test_the_units_are_all_there() -> None:
    assert {unit.name for unit in UNITS} == UNIT_NAMES


def test_shellcheck_passes() -> None:
    shellcheck = tool("shellcheck")
    scripts = sorted(KIOSK.rglob("*.sh"))
    assert INSTALL in scripts
    result = subprocess.run(
        [shellcheck, "--shell=bash", "--external-sources", *map(str, scripts)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def verifiable_copy(unit: Path, folder: Path) -> Path:
    """`unit` in `folder`, with each program that is not on this machine replaced by /bin/true."""
    lines = []
    for line in unit.read_text().splitlines():
        match = EXEC.match(line)
        if match and not Path(match[3]).exists():
            line = f"{match[1]}={match[2]}/bin/true{line[match.end() :]}"
        lines.append(line)
    copy = folder / unit.name
    copy.write_text("\n".join(lines) + "\n")
    return copy


def test_systemd_analyze_verify_finds_nothing_wrong(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    copies = [verifiable_copy(unit, tmp_path) for unit in UNITS]
    result = subprocess.run(
        [analyze, "verify", "--man=no", *map(str, copies)],
        capture_output=True,
        text=True,
        check=False,
    )
    output = (result.stdout + result.stderr).splitlines()
    about_ours = [
        line for line in output if str(tmp_path) in line or any(n in line for n in UNIT_NAMES)
    ]
    assert about_ours == [], "\n".join(output)


def test_verify_would_catch_a_mistake(tmp_path: Path) -> None:
    """The check above is not blind: a bad value in a unit is reported."""
    analyze = tool("systemd-analyze")
    bad = tmp_path / "huddle-board-serve.service"
    text = verifiable_copy(KIOSK / "systemd" / bad.name, tmp_path).read_text()
    bad.write_text(text.replace("Restart=on-failure", "Restart=sometimes"))
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(bad)], capture_output=True, text=True, check=False
    )
    assert "sometimes" in result.stdout + result.stderr


def unit_settings(unit: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (KIOSK / "systemd" / unit).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";")):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def test_console_unit_runs_the_kiosk_on_tty1() -> None:
    unit = unit_settings("huddle-board-console.service")
    assert unit["User"] == ["huddle"]
    assert unit["TTYPath"] == ["/dev/tty1"]
    assert unit["StandardInput"] == unit["StandardOutput"] == ["tty"]
    assert unit["Restart"] == ["always"] and unit["RestartSec"] == ["2"]
    assert "getty@tty1.service" in unit["Conflicts"][0].split()
    command = shlex.split(unit["ExecStart"][0])
    assert command[0] == "/opt/huddle-board/bin/huddle-board"
    # The real command line accepts it: kiosk mode, with the installed settings file.
    args = build_parser().parse_args(command[1:])
    assert args.kiosk is True and args.settings == Path("/etc/huddle-board/settings.toml")


def test_browser_units_serve_on_loopback_and_show_it() -> None:
    serve = unit_settings("huddle-board-serve.service")
    assert serve["Restart"] == ["on-failure"] and serve["StandardOutput"] == ["journal"]
    command = shlex.split(serve["ExecStart"][0])
    assert command[:3] == [
        "/opt/huddle-board/bin/huddle-board",
        "--settings",
        "/etc/huddle-board/settings.toml",
    ]
    assert command[3:] == ["serve", "--host", "127.0.0.1", "--port", "8000"]
    browser = unit_settings("huddle-board-browser.service")
    assert "huddle-board-serve.service" in browser["Requires"][0].split()
    assert "huddle-board-serve.service" in browser["After"][0].split()
    assert browser["User"] == ["huddle"] and browser["TTYPath"] == ["/dev/tty1"]
    start = browser["ExecStart"][0]
    assert "cage" in start and "--kiosk" in start and start.endswith("http://127.0.0.1:8000")


@pytest.mark.parametrize("unit", sorted(UNIT_NAMES))
def test_units_are_hardened(unit: str) -> None:
    values = unit_settings(unit)
    assert values["NoNewPrivileges"] == ["yes"]
    assert values["PrivateTmp"] == ["yes"]
    if unit != "huddle-board-browser.service":  # see the comment in that unit
        assert values["ProtectSystem"] == ["strict"]
        assert values["ReadWritePaths"] == ["/var/lib/huddle-board"]


def test_the_settings_file_loads() -> None:
    settings = load_settings(KIOSK / "settings.toml", env={})
    assert settings.db_path == Path("/var/lib/huddle-board/board.db")
    assert settings.kiosk is True
    assert not settings.sync_configured


def test_the_settings_files_pairing_lines_are_real_settings(tmp_path: Path) -> None:
    text = (KIOSK / "settings.toml").read_text()
    paired = tmp_path / "settings.toml"
    paired.write_text(re.sub(r"(?m)^# (\w+ = )", r"\1", text))
    settings = load_settings(paired, env={})
    assert settings.store_url == "https://huddle-central.example.nhs.uk"
    assert settings.token_file == Path("/etc/huddle-board/token")
    assert settings.sync_configured


@pytest.mark.parametrize("mode", [[], ["--browser"]], ids=["console", "browser"])
def test_dry_run_needs_no_root_and_changes_nothing(
    mode: list[str], as_non_root: dict[str, str], tmp_path: Path
) -> None:
    result = run_install("--dry-run", *mode, env=as_non_root)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "calls").read_text() == ""
    for unit in UNIT_NAMES:
        assert unit in result.stdout
    enabled = (
        "huddle-board-serve.service huddle-board-browser.service"
        if mode
        else ("huddle-board-console.service")
    )
    assert f"would run: systemctl enable --quiet {enabled}\n" in result.stdout
    assert "/etc/huddle-board/settings.toml" in result.stdout
    assert "huddle-central token create" in result.stdout


def test_without_dry_run_it_needs_root(as_non_root: dict[str, str], tmp_path: Path) -> None:
    result = run_install(env=as_non_root)
    assert result.returncode == 1
    assert "run as root" in result.stderr
    assert (tmp_path / "calls").read_text() == ""


def test_dry_run_is_idempotent(as_non_root: dict[str, str]) -> None:
    first = run_install("--dry-run", env=as_non_root)
    second = run_install("--dry-run", env=as_non_root)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


def test_dry_run_from_a_checkout_given_as_argument(as_non_root: dict[str, str]) -> None:
    result = run_install("--dry-run", str(ROOT), env=as_non_root)
    assert result.returncode == 0, result.stderr
    assert f"pip install --quiet --upgrade {ROOT}" in result.stdout


def test_refuses_a_folder_that_is_not_the_board(
    as_non_root: dict[str, str], tmp_path: Path
) -> None:
    result = run_install("--dry-run", str(tmp_path), env=as_non_root)
    assert result.returncode == 2
    assert "not a huddle-board checkout" in result.stderr


@pytest.mark.parametrize("script", ["Start-HuddleBoard.ps1", "Register-HuddleBoardTask.ps1"])
def test_windows_scripts_have_help(script: str) -> None:
    text = (KIOSK / "windows" / script).read_text()
    for section in (".SYNOPSIS", ".DESCRIPTION", ".PARAMETER VenvPath", ".EXAMPLE"):
        assert section in text
    assert "param(" in text


def test_windows_launcher_and_task() -> None:
    launcher = (KIOSK / "windows" / "Start-HuddleBoard.ps1").read_text()
    assert "wt.exe" in launcher and "--fullscreen" in launcher and "--kiosk" in launcher
    task = (KIOSK / "windows" / "Register-HuddleBoardTask.ps1").read_text()
    assert "Register-ScheduledTask" in task and "New-ScheduledTaskTrigger -AtLogOn" in task


def test_missing_tools_fail_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv(REQUIRE_TOOLS, raising=False)
    with pytest.raises(pytest.fail.Exception, match="shellcheck is missing"):
        tool("shellcheck")
    monkeypatch.setenv(REQUIRE_TOOLS, "")
    with pytest.raises(pytest.skip.Exception, match="apt-get install systemd"):
        tool("systemd-analyze")
