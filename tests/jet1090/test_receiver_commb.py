"""Comm-B replies decoded register by register, against rs1090's full decoder."""

from __future__ import annotations

import gzip

import orjson
import rs1090
from tangram_jet1090.receivers.commb import KEPT_REGISTERS, registers
from tangram_jet1090.receivers.decode import FrameDecoder

from .conftest import SAMPLE

IDENT = bytes.fromhex("8f393322200464b3d1a1e03df1bf")  # DF17 BDS 0,8: confirms 393322


def _sample_frames() -> list[bytes]:
    with gzip.open(SAMPLE, "rb") as lines:
        frames = [bytes.fromhex(orjson.loads(line)["frame"]) for line in lines]
    return [f[:7] if f[0] >> 3 < 16 else f for f in frames]


def test_kept_registers_match_the_full_decoder_on_the_sample_flight() -> None:
    replies = [f for f in _sample_frames() if f[0] >> 3 in (20, 21)]
    assert len(replies) > 20_000
    asked_full = extra = 0
    for payload in replies:
        full = rs1090.decode(payload.hex())
        assert full is not None
        expected = {k: v for k, v in full.items() if k in KEPT_REGISTERS}
        found = registers(payload)
        if found is None:  # two plausible: the full decoder weighs them
            asked_full += 1
            continue
        if found != expected:
            # the only difference allowed: a lone register the full decoder dropped
            assert not expected and len(found) == 1, (payload.hex(), found, full)
            extra += 1
    assert extra <= 7  # 0.03 %: see commb.py
    assert asked_full < len(replies) * 0.06


def test_an_empty_reply_holds_no_register() -> None:
    empty = bytes.fromhex("a0000800") + bytes(10)
    assert registers(empty) == {}
    assert [key for key in rs1090.decode(empty.hex()) if key.startswith("bds")] == []


def test_both_decoders_give_the_same_state_fields() -> None:
    # The sample flight through a decoder for the state table (kept registers only)
    # and one for messages handed on (every register): same aircraft, same fields,
    # but for the lone registers counted above; only the second keeps e.g. BDS 2,1.
    frames = [IDENT] + [f for f in _sample_frames() if f[0] >> 3 != 11]
    fast, complete = FrameDecoder(complete=False), FrameDecoder()
    differ = 0
    for start in range(0, len(frames), 500):
        chunk = frames[start : start + 500]
        times = [1.0 + start / 1000] * len(chunk)
        for a, b in zip(fast.updates(chunk, times), complete.updates(chunk, times), strict=True):
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert a[0] == b[0] == "393322" and a[4] == b[4]
                differ += a[2] != b[2]
    assert differ <= 7
    assert fast.stats.commb_registers > 5_000 and complete.stats.commb_registers == 0
    # the header of a Comm-B reply comes from the DF4/5 reply with the same 32 bits
    assert fast.stats.rs1090_calls < complete.stats.rs1090_calls * 0.75
    assert fast.stats.decoded == complete.stats.decoded > 50_000


def test_a_reply_keeps_its_address_and_header() -> None:
    # the first DF20 reply of the sample with one kept register, read by rs1090 alone
    payload = next(
        f
        for f in _sample_frames()
        if f[0] >> 3 == 20 and len(registers(f) or {}) == 1 and registers(f) != {"bds20": {}}
    )
    decoder = FrameDecoder(complete=False)
    decoder.updates([IDENT], [0.0])
    (decoded,) = decoder.updates([payload], [1.0])
    assert decoded is not None
    icao, _, fields, message, _, _ = decoded
    reference = rs1090.decode(payload.hex())
    assert icao == reference["icao24"] == "393322"
    assert message["df"] == "20" and message["altitude"] == reference["altitude"]
    assert {k: v for k, v in message.items() if k.startswith("bds")} == {
        k: v for k, v in reference.items() if k.startswith("bds")
    }
    assert fields["altitude"] == reference["altitude"] and len(fields) > 1


def test_status_rules_only_spare_calls_that_would_fail() -> None:
    # Every kept register, asked of rs1090 without the status pre-check: what it
    # accepts always passes the pre-check (sample flight and random message fields).
    import random

    from tangram_jet1090.receivers import commb

    rng = random.Random(9)
    fields = [f[4:11] for f in _sample_frames() if f[0] >> 3 in (20, 21)]
    fields += [rng.randbytes(7) for _ in range(20_000)]
    # random fields with every status bit set, where the rules rarely reject
    fields += [
        (
            int.from_bytes(rng.randbytes(7), "big")
            | 1 << 55
            | 1 << 43
            | 1 << 32
            | 1 << 21
            | 1 << 10
        ).to_bytes(7, "big")
        for _ in range(5_000)
    ]
    skipped = accepted = 0
    for field in fields:
        hexed = "a0001838" + field.hex() + "000000"
        bits = int.from_bytes(field, "big")
        for name, decoder, rules in commb._CHECKED:
            try:
                decoder(hexed)
            except (AssertionError, ValueError):
                ok = False
            else:
                ok = True
                accepted += 1
            if not commb._zeros_where_unavailable(bits, rules):
                assert not ok, (name, hexed)
                skipped += 1
    assert accepted > 10_000 and skipped > 50_000
