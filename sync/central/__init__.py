"""huddle-central: the board's central store for ward entries (sync protocol v1).

- `db`: the schema and its migrations (SQLAlchemy Core, one code path for SQLite and
  PostgreSQL), and the two operations the API needs: apply a push, read a page.
- `tokens`: device tokens (256-bit, shown once, stored only as a SHA-256 hash).
- `app`: the HTTP API (Starlette ASGI app, served by uvicorn).
- `cli`: `huddle-central serve | migrate | token create|list|revoke`.

It imports `sync.protocol` and nothing else from the project: the store does not need the
kiosk's code."""
