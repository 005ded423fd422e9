"""Who may get which token from ``POST /token``: identity and privilege rules.

Client ids are drawn by the gateway. A request that names an ``id`` (or sends a
``token``) must prove that it owns that id by presenting a token already issued for
it, so that nobody can mint a token in another client's name and, for example, join
that client's private ``streaming-<id>`` topic. ``"*"`` (every topic) and ``admin``
(every topic's members) are privileged: only a caller presenting ``[channel]
admin_key`` in the ``X-Tangram-Admin-Key`` header gets them, and that caller may also
name any id. Without an ``admin_key`` they are never handed out.

Pure: a request body and the presented key in, a status and a JSON object out.
"""

from __future__ import annotations

import hmac
from typing import Any

from .strict_json import loads_strict
from .tokens import PROOF_GRACE_SECS, TokenIssuer, private_owner
from .wire import topic_problem

__all__ = ["ADMIN_HEADER", "PRIVILEGED", "mint_request"]

#: Request header carrying ``[channel] admin_key``.
ADMIN_HEADER = "x-tangram-admin-key"
#: Channels whose tokens need the admin key.
PRIVILEGED = frozenset({"*", "admin"})

_USAGE = '{"channel": "<topic>", "id": "<client id>"?, "token": "<a token for that id>"?}'

Reply = tuple[int, dict[str, str]]


def _error(status: int, message: str) -> Reply:
    return status, {"error": message}


def _admin_problem(admin_key: str | None, presented: str | None) -> str | None:
    """Why the presented key does not grant admin rights (None: it does)."""
    if admin_key is None:
        return (
            "admin tokens are disabled on this gateway; set [channel] admin_key and send it"
            " in the X-Tangram-Admin-Key header"
        )
    if presented is None:
        return "this needs the X-Tangram-Admin-Key header (see [channel] admin_key)"
    if not hmac.compare_digest(presented.encode(), admin_key.encode()):
        return "wrong X-Tangram-Admin-Key header (see [channel] admin_key)"
    return None


def mint_request(
    body: bytes, issuer: TokenIssuer, *, admin_key: str | None, presented: str | None
) -> Reply:
    """Answer one ``POST /token`` body; ``presented`` is the X-Tangram-Admin-Key header."""
    try:
        request = loads_strict(body)  # bounded depth, no NaN: the gateway's one JSON policy
    except (ValueError, UnicodeDecodeError):
        return _error(400, f"body is not JSON; expected {_USAGE}")
    if not isinstance(request, dict):
        return _error(400, f"body must be a JSON object {_USAGE}")
    channel, client_id, proof = request.get("channel"), request.get("id"), request.get("token")
    if not isinstance(channel, str):
        return _error(422, f"'channel' must be a string topic name, got {_short(channel)}")
    problem = None if channel == "*" else topic_problem(channel)
    if problem:
        return _error(422, f"'channel' {_short(channel)} is not a valid topic: {problem}")
    if client_id is not None:
        id_problem = topic_problem(client_id) if isinstance(client_id, str) else "not a string"
        if id_problem:
            return _error(422, f"'id' {_short(client_id)} is not valid: {id_problem}")
    if proof is not None and not isinstance(proof, str):
        return _error(
            422, f"'token' must be a string (a token issued earlier), got {_short(proof)}"
        )
    denied = None if presented is None else _admin_problem(admin_key, presented)
    if denied:
        return _error(403, denied)
    admin = presented is not None
    if channel in PRIVILEGED and not admin:
        what = "every topic" if channel == "*" else "the admin topic"
        reason = _admin_problem(admin_key, None)
        return _error(403, f"a token for {channel!r} ({what}) is privileged: {reason}")
    if proof is not None:
        owner = issuer.owner(proof)
        if owner is None:
            return _error(
                403,
                "'token' is not a token of this gateway, or it expired more than"
                f" {PROOF_GRACE_SECS // 86400} days ago; POST /token without 'id' and"
                " 'token' for a new id",
            )
        if client_id is not None and client_id != owner:
            return _error(403, f"'id' {client_id!r} is not yours: 'token' was issued for {owner!r}")
        client_id = owner
    elif client_id is not None and not admin:
        return _error(
            403,
            f"'id' {client_id!r} needs proof that it is yours: send a token already issued"
            " for it in 'token' (or omit 'id' to get a new one)",
        )
    owner_of_topic = private_owner(channel)
    if owner_of_topic is not None and owner_of_topic != client_id:
        return _error(
            403,
            f"{channel!r} is private to client {owner_of_topic!r}: only a request proving"
            f" that id (with 'token') gets a token for it",
        )
    client_id, token = issuer.mint(channel, client_id)
    return 200, {"channel": channel, "id": client_id, "token": token}


def _short(value: Any) -> str:
    """A value for an error message, cut so that a huge input makes no huge answer."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
