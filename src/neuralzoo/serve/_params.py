"""Reading the parameters of an API request: each refusal is one line saying what was expected
and what came, raised as :class:`BadRequest` (the app answers it with its 4xx status)."""

from __future__ import annotations

import json
from typing import Any


class BadRequest(Exception):
    """A request the playground refuses: ``status`` (400 malformed, 404 missing, 422 invalid)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def parse_json(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object (an empty body is ``{}``)."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        msg = getattr(err, "msg", str(err))
        raise BadRequest(f"malformed JSON body: expected a JSON object, got a parse error ({msg})",
                         400) from None
    if not isinstance(body, dict):
        raise BadRequest(f"expected a JSON object, got a JSON {type(body).__name__}", 400)
    return body


def get_int(body: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    """``body[key]`` as an int in ``[lo, hi]`` (``default`` when absent)."""
    v = body.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v:
        raise BadRequest(f"{key}: expected an integer in [{lo}, {hi}], got {v!r}")
    if not lo <= int(v) <= hi:
        raise BadRequest(f"{key}: expected an integer in [{lo}, {hi}], got {int(v)}")
    return int(v)


def get_float(body: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    """``body[key]`` as a float in ``[lo, hi]``."""
    v = body.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
        raise BadRequest(f"{key}: expected a number in [{lo}, {hi}], got {v!r}")
    if not lo <= float(v) <= hi:
        raise BadRequest(f"{key}: expected a number in [{lo}, {hi}], got {v}")
    return float(v)


def get_choice(body: dict[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    """``body[key]``, one of ``choices``."""
    v = body.get(key, default)
    if v not in choices:
        raise BadRequest(f"{key}: expected one of {', '.join(choices)}, got {v!r}")
    return str(v)


def get_bits(body: dict[str, Any], key: str, n: int) -> list[int]:
    """``body[key]``, a list of ``n`` values each 0 or 1 (a drawn or clicked pattern)."""
    v = body.get(key)
    if not isinstance(v, list):
        raise BadRequest(f"{key}: expected a list of {n} values 0/1, got {type(v).__name__}")
    if len(v) != n:
        raise BadRequest(f"{key}: expected a list of {n} values 0/1, got {len(v)} values")
    bad = [x for x in v if x not in (0, 1) or isinstance(x, bool)]
    if bad:
        raise BadRequest(f"{key}: expected values 0/1, got {bad[0]!r}")
    return [int(x) for x in v]
