"""Strict JSON with explicit bounds: what the gateway accepts as JSON, from clients
(text frames, ``POST /token``) and from plugins (Redis payloads), without any I/O.

- Nesting: at most :data:`MAX_JSON_DEPTH` levels of arrays and objects. It is
  orjson's own limit, made explicit here and applied on every path (the standard
  library's parser is never used to validate: its limit is the interpreter's
  recursion limit, and it raises RecursionError instead of answering).
- ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (browsers' ``JSON.parse``
  refuses them); orjson refuses them.
- Escaped lone surrogates (``"\\ud800"``) *are* valid JSON text, which orjson refuses:
  on that rare path they are replaced by an escaped space and parsed again, so the
  structure (and depth) is still validated by orjson. Values read that way have
  those characters replaced; callers that echo strings re-read them exactly.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

__all__ = ["MAX_JSON_DEPTH", "JsonError", "TooDeep", "loads_strict"]

#: Deepest nesting of arrays and objects accepted as JSON (orjson's limit).
MAX_JSON_DEPTH = 1024

# An escape \uD800-\uDFFF preceded by an even number of backslashes (so not itself
# an escaped backslash followed by "u").
_SURROGATE = r"(?<!\\)((?:\\\\)*)\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
_SURROGATE_STR = re.compile(_SURROGATE)
_SURROGATE_BYTES = re.compile(_SURROGATE.encode())
_CONSTANTS = ("NaN", "Infinity", "-Infinity")


class JsonError(ValueError):
    """Not strict JSON; the message says why."""


class TooDeep(JsonError):
    """Valid-looking JSON nested deeper than :data:`MAX_JSON_DEPTH`."""


def loads_strict(data: bytes | str) -> Any:
    """Parse strict JSON; raises :class:`JsonError` (:class:`TooDeep` when too deep)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        first = exc
    if isinstance(data, str):
        patched: bytes | str = _SURROGATE_STR.sub(r"\1\\u0020", data)
    else:
        patched = _SURROGATE_BYTES.sub(rb"\1\\u0020", data)
    if patched != data:
        try:
            return orjson.loads(patched)
        except orjson.JSONDecodeError as exc:
            first = exc
    if "number" in str(first) or "integer" in str(first):
        return _loads_stdlib(patched)  # integers beyond 64 bits (orjson < 3.11)
    raise _error(first, patched) from None


def _loads_stdlib(data: bytes | str) -> Any:
    # Only for numbers orjson cannot hold; depth is then bounded by the interpreter's
    # recursion limit (below MAX_JSON_DEPTH), reported as TooDeep, never raised as is.
    try:
        text = data if isinstance(data, str) else data.decode("utf-8")
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise TooDeep(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise JsonError(str(exc)) from None


def _no_constant(name: str) -> Any:
    raise JsonError(f"{name} is not JSON")


def _error(exc: orjson.JSONDecodeError, data: bytes | str) -> JsonError:
    message = str(exc)
    if "depth" in message or "recursion" in message:
        return TooDeep(f"nested deeper than {MAX_JSON_DEPTH} levels")
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    if text.startswith(_CONSTANTS, exc.pos):
        return JsonError(f"NaN, Infinity and -Infinity are not JSON ({message})")
    return JsonError(message)
