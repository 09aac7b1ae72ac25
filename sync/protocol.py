"""The sync protocol (v1) on the wire, shared by the kiosk's push job and the central store.

An entry: `{"entity": "idea", "id": "…", "rev": 3, "ward": "RAI-7A", "updated_at": "…Z",
"deleted": false, "data": {…}}`. `data` holds the row's own columns (everything but the five
above); `updated_at` is information only, never used for ordering: `rev` decides.

Parsing is strict about types and names the field at fault (`entries[3].rev`), so the store
answers 422 with messages a board's IT team can act on, and the kiosk can set aside exactly the
entry that was refused. Unknown keys are ignored (a newer kiosk may send more).

Pure: the standard library only, no project imports (both ends import it)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

VERSION = 1
PUSH_PATH = "/api/v1/push"
ENTRIES_PATH = "/api/v1/entries"
HEALTH_PATH = "/healthz"

MAX_ENTRIES = 500  # per push
MAX_BODY_BYTES = 1024 * 1024  # per push, counted on the bytes received
MAX_PAGE = 1000  # entries per GET page
DEFAULT_PAGE = 500

# The synced entities, in the order a restore writes them (parents before children).
ENTITIES: tuple[str, ...] = ("measure", "week_value", "idea", "pdsa_cycle", "huddle", "action")
STATUSES: tuple[str, ...] = ("applied", "duplicate", "stale", "rejected")
Status = Literal["applied", "duplicate", "stale", "rejected"]

MAX_ID_LENGTH = 64
MAX_WARD_LENGTH = 32
MAX_DATA_KEYS = 64


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, at `loc` (`body`, `entries`, `entries[3].rev`)."""

    loc: str
    msg: str

    def to_json(self) -> dict[str, str]:
        return {"loc": self.loc, "msg": self.msg}


class ProtocolError(ValueError):
    """A body that breaks the protocol; `problems` name each field at fault."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.loc}: {p.msg}" for p in self.problems))

    def to_json(self) -> dict[str, Any]:
        return {"detail": [problem.to_json() for problem in self.problems]}

    def entry_indexes(self) -> set[int]:
        """The entries (by index in the batch) that the problems point at."""
        found: set[int] = set()
        for problem in self.problems:
            if problem.loc.startswith("entries["):
                number = problem.loc[len("entries[") :].split("]", 1)[0]
                if number.isdigit():
                    found.add(int(number))
        return found


@dataclass(frozen=True)
class Entry:
    entity: str
    id: str
    rev: int
    ward: str
    updated_at: str
    deleted: bool
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.entity, self.id)

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "id": self.id,
            "rev": self.rev,
            "ward": self.ward,
            "updated_at": self.updated_at,
            "deleted": self.deleted,
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class Result:
    entity: str
    id: str
    rev: int
    status: Status
    reason: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.entity, self.id)

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "id": self.id,
            "rev": self.rev,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Page:
    """One page of `GET /api/v1/entries`: `next` is the cursor for the following page, or
    None when this was the last."""

    entries: list[Entry]
    next: str | None

    def to_json(self) -> dict[str, Any]:
        return {"entries": [entry.to_json() for entry in self.entries], "next": self.next}


# -- encoding --------------------------------------------------------------------------------


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def push_body(entries: Iterable[Entry]) -> bytes:
    return dumps({"entries": [entry.to_json() for entry in entries]})


def results_body(results: Iterable[Result]) -> bytes:
    return dumps({"results": [result.to_json() for result in results]})


# -- parsing ---------------------------------------------------------------------------------


def _load(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError([Problem("body", f"not valid JSON ({error})")]) from error


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, loc: str, limit: int, problems: list[Problem]) -> str:
    if not isinstance(value, str):
        problems.append(Problem(loc, f"must be a string, not {_kind(value)}"))
        return ""
    if not value or len(value) > limit:
        problems.append(Problem(loc, f"must be 1 to {limit} characters"))
    elif any(ord(char) < 32 or ord(char) == 127 for char in value):
        problems.append(Problem(loc, "must not hold control characters"))
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "an object" if isinstance(value, dict) else "a list"
    )


def parse_timestamp(text: str) -> dt.datetime:
    """An ISO 8601 UTC timestamp ending in Z (as `huddle_board.clock.utc_stamp` writes)."""
    if not text.endswith("Z"):
        raise ValueError("must be a UTC timestamp ending in Z")
    return dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.UTC)


def parse_entry(obj: Any, loc: str = "entry") -> Entry:
    problems: list[Problem] = []
    entry = _entry(obj, loc, problems)
    if problems or entry is None:
        raise ProtocolError(problems)
    return entry


def _entry(obj: Any, loc: str, problems: list[Problem]) -> Entry | None:
    if not isinstance(obj, dict):
        problems.append(Problem(loc, f"must be an object, not {_kind(obj)}"))
        return None
    before = len(problems)
    for name in ("entity", "id", "rev", "ward", "updated_at", "deleted", "data"):
        if name not in obj:
            problems.append(Problem(f"{loc}.{name}", "is required"))
    if len(problems) > before:
        return None
    entity = obj["entity"]
    if entity not in ENTITIES:
        problems.append(Problem(f"{loc}.entity", f"must be one of {', '.join(ENTITIES)}"))
    row_id = _text(obj["id"], f"{loc}.id", MAX_ID_LENGTH, problems)
    ward = _text(obj["ward"], f"{loc}.ward", MAX_WARD_LENGTH, problems)
    rev = obj["rev"]
    if not _is_int(rev) or rev < 1:
        problems.append(Problem(f"{loc}.rev", f"must be a whole number ≥ 1, not {rev!r}"[:120]))
    updated_at = obj["updated_at"]
    if not isinstance(updated_at, str):
        problems.append(Problem(f"{loc}.updated_at", f"must be a string, not {_kind(updated_at)}"))
    else:
        try:
            parse_timestamp(updated_at)
        except ValueError:
            problems.append(
                Problem(f"{loc}.updated_at", "must be a UTC timestamp like 2026-11-26T09:00:00Z")
            )
    deleted = obj["deleted"]
    if not isinstance(deleted, bool):
        problems.append(Problem(f"{loc}.deleted", f"must be true or false, not {_kind(deleted)}"))
    data = obj["data"]
    if not isinstance(data, dict):
        problems.append(Problem(f"{loc}.data", f"must be an object, not {_kind(data)}"))
    elif len(data) > MAX_DATA_KEYS:
        problems.append(Problem(f"{loc}.data", f"must have at most {MAX_DATA_KEYS} fields"))
    else:
        for name, value in data.items():
            if isinstance(value, dict | list):
                problems.append(Problem(f"{loc}.data.{name}"[:120], "must be a plain value"))
    if len(problems) > before:
        return None
    return Entry(
        entity=cast(str, entity),
        id=row_id,
        rev=cast(int, rev),
        ward=ward,
        updated_at=cast(str, updated_at),
        deleted=cast(bool, deleted),
        data=cast(dict[str, Any], data),
    )


def parse_push(raw: bytes | str) -> list[Entry]:
    """The entries of a push body; ProtocolError names every field at fault."""
    body = _load(raw)
    if not isinstance(body, dict):
        raise ProtocolError([Problem("body", f"must be an object, not {_kind(body)}")])
    if "entries" not in body:
        raise ProtocolError([Problem("entries", "is required")])
    items = body["entries"]
    if not isinstance(items, list):
        raise ProtocolError([Problem("entries", f"must be a list, not {_kind(items)}")])
    if len(items) > MAX_ENTRIES:
        raise ProtocolError([Problem("entries", f"must hold at most {MAX_ENTRIES} entries")])
    problems: list[Problem] = []
    entries: list[Entry] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        entry = _entry(item, f"entries[{index}]", problems)
        if entry is None:
            continue
        if entry.key in seen:
            problems.append(Problem(f"entries[{index}].id", f"repeats entries[{seen[entry.key]}]"))
            continue
        seen[entry.key] = index
        entries.append(entry)
    if problems:
        raise ProtocolError(problems)
    return entries


def parse_results(raw: bytes | str) -> list[Result]:
    """The store's answer to a push (the kiosk trusts the store, but checks the shape)."""
    body = _load(raw)
    items = body.get("results") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ProtocolError([Problem("results", "must be a list")])
    results: list[Result] = []
    for index, item in enumerate(items):
        loc = f"results[{index}]"
        if not isinstance(item, dict) or item.get("status") not in STATUSES:
            raise ProtocolError([Problem(loc, "is not a result")])
        if not _is_int(item.get("rev")) or not isinstance(item.get("id"), str):
            raise ProtocolError([Problem(loc, "is not a result")])
        results.append(
            Result(
                entity=str(item.get("entity")),
                id=item["id"],
                rev=item["rev"],
                status=item["status"],
                reason=str(item.get("reason") or ""),
            )
        )
    return results


def parse_page(raw: bytes | str) -> Page:
    body = _load(raw)
    if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
        raise ProtocolError([Problem("entries", "must be a list")])
    following = body.get("next")
    if following is not None and not isinstance(following, str):
        raise ProtocolError([Problem("next", "must be a string or null")])
    entries = [parse_entry(item, f"entries[{index}]") for index, item in enumerate(body["entries"])]
    return Page(entries, following)
