"""The RESP packer: hiredis' C packer and the Python fallback write the same bytes."""

from __future__ import annotations

from typing import Any

import hiredis
import pytest

from tangram.resp.link import pack


@pytest.mark.parametrize(
    "args",
    [
        ("PUBLISH", "from:t:in", b'{"a":1}'),
        ("SET", "k", "1", "PX", 3000),
        ("HSET", "tangram:presence:système", "r1", b"\x00\xff"),
        ("X", 0.1, -3, ""),
    ],
)
def test_c_packer_matches_python(args: tuple[Any, ...]) -> None:
    assert hiredis.pack_command(args) == pack(args)
