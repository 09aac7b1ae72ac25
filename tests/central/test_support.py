"""The test support itself: what happens where PostgreSQL is missing."""

from __future__ import annotations

import pytest

from tests.support import central


def test_missing_postgres_skips_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(central, "postgres_bin", lambda: None)

    monkeypatch.delenv(central.REQUIRE_POSTGRES, raising=False)
    with (
        pytest.raises(pytest.skip.Exception, match="install PostgreSQL"),
        central.postgres_cluster(),
    ):
        pass

    monkeypatch.setenv(central.REQUIRE_POSTGRES, "1")
    with (
        pytest.raises(pytest.fail.Exception, match="HUDDLE_REQUIRE_POSTGRES is set"),
        central.postgres_cluster(),
    ):
        pass
