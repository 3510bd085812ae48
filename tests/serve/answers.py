"""How the playground's tests read an API answer: ``ok`` (a 200 JSON object), ``frames`` (the
NDJSON frames of a streamed answer, none an error), ``refused`` (a 4xx with one line naming what
was expected)."""

from __future__ import annotations

import json


def ok(r) -> dict:
    assert r.status_code == 200, r.text
    return r.json()


def frames(r) -> list[dict]:
    """The frames of a streamed (NDJSON) answer, in order; an ``{"error": ...}`` frame fails."""
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    out = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert not any("error" in f for f in out), out
    return out


def refused(r, status: int, *fragments: str) -> str:
    """The refusal's message, after checking its status, that it is one line without a
    traceback, and that it contains each of ``fragments``."""
    assert r.status_code == status, (r.status_code, r.text)
    msg = r.json()["error"]
    assert "\n" not in msg and "Traceback" not in msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg
