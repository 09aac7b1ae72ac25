"""The `huddle-central` command line, run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from sync.central.db import SCHEMA_VERSION, CentralDB, schema_version
from sync.central.tokens import hash_token
from sync.protocol import ENTRIES_PATH, PUSH_PATH
from tests.support.central import central_process, make_entry, new_database


def huddle_central(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "huddle-central"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sync.central"]
    env = {key: value for key, value in os.environ.items() if key != "HUDDLE_CENTRAL_DATABASE"}
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60
    )


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'central.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


def test_tokens_are_shown_once_as_the_last_line_and_never_listed(database_url: str) -> None:
    created = huddle_central(
        "token", "create", "--database", database_url, "--ward", "RAI-7A", "--device", "kiosk-1"
    )
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    token = lines[-1]
    assert len(token) >= 43 and " " not in token
    assert created.stdout.count(token) == 1 and token not in created.stderr
    huddle_central(
        "token", "create", "--database", database_url, "--ward", "RAI-8B", "--device", "kiosk-2"
    )

    with central_process(database_url) as central:
        kiosk = central.client(token)
        assert kiosk.post(PUSH_PATH, json={"entries": [make_entry("RAI-7A")]}).status_code == 200
        listed = huddle_central("token", "list", "--database", database_url)
        assert listed.returncode == 0
        assert token not in listed.stdout and hash_token(token) not in listed.stdout
        rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines()[1:]}
        assert rows["kiosk-1"][1] == "RAI-7A"
        assert rows["kiosk-1"][3].endswith("Z")  # last used: just now
        assert rows["kiosk-2"][3] == "never"
        assert rows["kiosk-1"][4] == "-"  # not revoked
        assert listed.stdout.splitlines()[0].split() == [
            "DEVICE",
            "WARD",
            "CREATED",
            "LAST",
            "USED",
            "REVOKED",
        ]

        revoked = huddle_central(
            "token", "revoke", "--database", database_url, "--device", "kiosk-1"
        )
        assert revoked.returncode == 0 and "Revoked" in revoked.stdout
        assert kiosk.get(ENTRIES_PATH).status_code == 401  # at once, no restart
        again = huddle_central("token", "revoke", "--database", database_url, "--device", "kiosk-1")
        assert again.returncode == 0 and "already revoked" in again.stdout
        listed = huddle_central("token", "list", "--database", database_url)
        kiosk_1 = next(line for line in listed.stdout.splitlines() if line.startswith("kiosk-1"))
        assert kiosk_1.split()[-1].endswith("Z")  # revoked at


def test_token_commands_refuse_bad_input_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    base = ("token", "create", "--database", url)
    assert huddle_central(*base, "--ward", "A", "--device", "kiosk").returncode == 0

    taken = huddle_central(*base, "--ward", "A", "--device", "kiosk")
    assert taken.returncode == 1
    assert "already has a token" in taken.stderr and taken.stdout == ""
    long_ward = huddle_central(*base, "--ward", "W" * 33, "--device", "other")
    assert long_ward.returncode == 1 and "ward code" in long_ward.stderr
    unknown = huddle_central("token", "revoke", "--database", url, "--device", "nobody")
    assert unknown.returncode == 1 and "no device named 'nobody'" in unknown.stderr
    empty = huddle_central("token", "list", "--database", f"sqlite:///{tmp_path / 'new.db'}")
    assert empty.returncode == 0 and "No devices yet" in empty.stdout


def test_migrate_creates_the_schema_once_and_defaults_to_a_file_here(tmp_path: Path) -> None:
    first = huddle_central("migrate", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "huddle-central.db").exists()
    second = huddle_central("migrate", "--database", str(tmp_path / "huddle-central.db"))
    assert second.returncode == 0
    assert f"schema version {SCHEMA_VERSION}" in second.stdout
    db = CentralDB(str(tmp_path / "huddle-central.db"))
    try:
        with db.read() as conn:
            versions = conn.execute(sa.select(schema_version.c.version)).scalars().all()
        assert versions == [SCHEMA_VERSION]
    finally:
        db.dispose()


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    assert huddle_central("migrate", "--database", url).returncode == 0
    db = CentralDB(url)
    try:
        with db.write() as conn:
            conn.execute(
                sa.insert(schema_version).values(version=99, name="future", applied_at="x")
            )
    finally:
        db.dispose()
    refused = huddle_central("migrate", "--database", url)
    assert refused.returncode == 2
    assert "schema version 99" in refused.stderr


def test_serve_fails_fast_on_a_database_it_cannot_use(tmp_path: Path, postgres_url: str) -> None:
    missing = huddle_central("serve", "--database", f"sqlite:///{tmp_path}/no/such/dir/c.db")
    assert missing.returncode != 0
    assert "unable to open database file" in missing.stdout + missing.stderr
    unsupported = huddle_central("migrate", "--database", "mysql://somewhere/db")
    assert unsupported.returncode == 2 and "unsupported database" in unsupported.stderr
    gone = sa.make_url(postgres_url).set(database="no_such_database")
    absent = huddle_central("migrate", "--database", gone.render_as_string(hide_password=False))
    assert absent.returncode == 1
    assert "cannot use the database" in absent.stderr and "no_such_database" in absent.stderr


def test_serve_answers_on_the_port_it_is_given(tmp_path: Path) -> None:
    with central_process(str(tmp_path / "plain-path.db")) as central:
        assert httpx.get(central.url + "/healthz").json()["status"] == "ok"
    assert (tmp_path / "plain-path.db").exists()
