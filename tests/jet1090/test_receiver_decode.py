"""Decoding receiver frames with rs1090, CPR positions, references and dedup."""

from __future__ import annotations

import gzip

import orjson
import pytest
import rs1090
from tangram_jet1090.receivers.cpr import global_airborne, local, nl
from tangram_jet1090.receivers.crc import residual
from tangram_jet1090.receivers.decode import TRUST_SECS, FrameDecoder
from tangram_jet1090.receivers.dedup import Deduplicator
from tangram_jet1090.receivers.reference import resolve_reference

from .conftest import SAMPLE

IDENT = bytes.fromhex("8f393322200464b3d1a1e03df1bf")  # DF17 BDS 0,8 AFR34ZG
ALTITUDE = bytes.fromhex("212800bf40f1ef")  # DF4, 575 ft, address/parity
EVEN = bytes.fromhex("8d393322580960aa048e38910e29")  # BDS 0,5 even, 750 ft
ODD = bytes.fromhex("8d3933225809741ea48a8152bbe7")  # BDS 0,5 odd, 775 ft
SURFACE = bytes.fromhex("8f393322384a02aea63afc43dcba")  # BDS 0,6 even, at CDG
LFPG = (49.0128, 2.55)


def test_cpr_global_and_local_decoding() -> None:
    # the textbook pair of DO-260B examples (and jet1090's answer for the sample)
    assert global_airborne((93000, 51372), (74158, 50194), latest_odd=False) == pytest.approx(
        (52.2572021484375, 3.91937255859375)
    )
    assert local((93000, 51372), False, (52.258, 3.918), surface=False) == pytest.approx(
        (52.2572021484375, 3.91937255859375)
    )
    assert local((87891, 15100), False, LFPG, surface=True) == pytest.approx(
        (49.00583267211914, 2.5735473632812496)
    )
    assert (nl(0), nl(49.0), nl(87), nl(-89)) == (59, 39, 2, 1)


def test_frames_decode_to_jet1090_messages_with_positions() -> None:
    decoder = FrameDecoder()
    first = decoder.decode([ALTITUDE, IDENT, ALTITUDE], [10.0, 10.5, 11.0])
    # an address/parity frame counts only once a CRC-checked frame confirmed the aircraft
    assert first[0] is None and decoder.stats.unconfirmed == 1
    assert first[1] is not None and first[1]["callsign"] == "AFR34ZG"
    assert first[1]["frame"] == IDENT.hex() and first[1]["timestamp"] == 10.5
    assert first[2] is not None and first[2]["altitude"] == 575 and first[2]["df"] == "4"

    even, odd = decoder.decode([EVEN, ODD], [12.0, 13.0])
    assert even is not None and "latitude" not in even  # no pair yet
    assert odd is not None and (odd["latitude"], odd["longitude"]) == pytest.approx(
        (48.99613719875529, 2.5627778705797697)
    )
    assert odd["altitude"] == 775 and decoder.stats.positions == 1

    # a surface position is decoded near the aircraft's last position
    (surface,) = decoder.decode([SURFACE], [14.0])
    assert surface is not None and (surface["latitude"], surface["longitude"]) == pytest.approx(
        (49.00583267211914, 2.5735473632812496)
    )
    bad = bytearray(IDENT)
    bad[-1] ^= 1
    df18 = bytes([0x90]) + bytes(IDENT[1:])  # DF18 with DF17's parity: bad CRC
    df11 = bytes.fromhex("5d393322000000")  # DF11 whose residual is no interrogator id
    wrong_length = b"\x00" * 14  # DF0 is a short frame
    rejected = [bytes(bad), df18, df11, wrong_length]
    assert decoder.decode(rejected, [15.0] * 4) == [None] * 4
    assert decoder.stats.rejected == 4
    # zeros read as a DF0 reply from 000000, an aircraft never confirmed
    assert decoder.decode([b"\x00" * 7], [15.0]) == [None]
    assert decoder.stats.unconfirmed == 2
    # a pair further apart than the pair window gives no global position
    later = decoder.decode([EVEN, ODD], [100.0, 200.0])
    assert all(m is not None and "latitude" not in m for m in later)
    # aircraft not confirmed for TRUST_SECS are forgotten, until confirmed again
    late = 200.0 + TRUST_SECS + 1
    assert decoder.decode([ALTITUDE], [late]) == [None]
    assert decoder.decode([IDENT, ALTITUDE], [late, late])[1] is not None


def test_surface_positions_need_a_reference() -> None:
    without = FrameDecoder()
    (msg,) = without.decode([SURFACE], [1.0])
    assert msg is not None and "latitude" not in msg and without.stats.no_reference == 1
    (msg,) = FrameDecoder(reference=resolve_reference("LFPG")).decode([SURFACE], [1.0])
    assert msg is not None and msg["latitude"] == pytest.approx(49.0058, abs=1e-4)


def test_reference_values() -> None:
    assert resolve_reference("lfpg") == pytest.approx(LFPG, abs=0.01)
    assert resolve_reference([49.01, 2.55]) == (49.01, 2.55)
    with pytest.raises(ValueError, match="not a known ICAO airport code"):
        resolve_reference("XXXX")
    with pytest.raises(ValueError, match=r"expected \[latitude, longitude\]"):
        resolve_reference([91.0, 2.0])
    with pytest.raises(ValueError, match="not"):
        resolve_reference([1.0, 2.0, 3.0])


def test_dedup_window_and_bound() -> None:
    dedup = Deduplicator(window=1.0, max_entries=3)
    assert not dedup.is_duplicate(b"a", 0.0)
    assert dedup.is_duplicate(b"a", 0.5)
    assert not dedup.is_duplicate(b"a", 1.6)  # outside the window: counts again
    for key in (b"b", b"c", b"d", b"e"):
        dedup.is_duplicate(key, 1.7)
    dedup.prune(1.7)
    assert len(dedup) <= 3 and dedup.duplicates == 1
    dedup.prune(10.0)
    assert len(dedup) == 0


def test_receiver_settings_are_validated_with_clear_errors() -> None:
    from tangram_jet1090.config import MAX_SOURCES, Jet1090Config

    from tangram.config import validate_plugin_config
    from tangram.errors import ConfigError

    def check(**table: object) -> Jet1090Config:
        return validate_plugin_config(
            Jet1090Config, table, source="tangram.toml", table="plugins.tangram_jet1090"
        )

    ok = check(sources=["beast://10.0.0.2:30005", "sbs://receiver.local:30003"], reference="LFPG")
    assert len(ok.sources) == 2
    with pytest.raises(ConfigError, match=r"sources = .*unknown format 'udp'.*beast://HOST:PORT"):
        check(sources=["udp://10.0.0.2:30005"])
    with pytest.raises(ConfigError, match="needs a host and a port"):
        check(sources=["beast://10.0.0.2"])
    with pytest.raises(ConfigError, match="port is not a number"):
        check(sources=["avr://10.0.0.2:99999"])
    with pytest.raises(ConfigError, match="sources"):
        check(sources=[f"beast://h:{30000 + i}" for i in range(MAX_SOURCES + 1)])
    check(sources=[f"beast://h:{30000 + i}" for i in range(MAX_SOURCES)])
    with pytest.raises(ConfigError, match="reference = 'ZZZZ'.*not a known ICAO airport"):
        check(reference="ZZZZ")
    with pytest.raises(ConfigError, match="dedup_window_secs"):
        check(dedup_window_secs=61)


def test_hub_counts_a_frame_from_two_receivers_once_and_survives_a_failing_sink() -> None:
    from typing import Any

    from tangram_jet1090.receivers import ReceiverHub, parse_source
    from tangram_jet1090.receivers.beast import encode

    applied: list[dict[str, Any]] = []

    def sink(message: dict[str, Any]) -> None:
        if not applied and message.get("callsign"):
            applied.append({})  # the first call fails once
            raise RuntimeError("bug in the ingest path")
        applied.append(message)

    hub = ReceiverHub([parse_source("beast://a:1"), parse_source("avr://b:2")], sink=sink)
    beast, avr = hub.sources
    hub.handle(beast, encode(IDENT) + encode(ALTITUDE), 100.0)
    assert beast.stats.errors["internal"] == 1 and beast.stats.messages == 2
    # the same frames from the second receiver within the window: duplicates
    hub.handle(avr, b"*" + IDENT.hex().encode() + b";\n*" + ALTITUDE.hex().encode() + b";\n", 100.4)
    assert avr.stats.duplicates == 2 and avr.stats.messages == 0
    assert [m["altitude"] for m in applied[1:]] == [575]
    # past the window the same frame counts again
    hub.handle(avr, b"*" + ALTITUDE.hex().encode() + b";\n", 102.0)
    assert avr.stats.messages == 1 and len(applied) == 3


def _readdressed(payload: bytes, icao: int) -> bytes:
    """An address/parity frame of another aircraft: same bits, its own parity."""
    body = payload[:-3] + b"\x00\x00\x00"
    return body[:-3] + (residual(body) ^ icao).to_bytes(3, "big")


def test_cached_decoding_gives_rs1090s_own_answers() -> None:
    # Every frame of the sample flight, heard from three aircraft: what the decoder
    # hands on (through its frame and DF0/4/5 header caches) is what rs1090 says of
    # that very frame, address included, whichever aircraft's frame filled the cache.
    with gzip.open(SAMPLE, "rb") as lines:
        frames = [bytes.fromhex(orjson.loads(line)["frame"]) for line in lines]
    frames = [f[:7] if f[0] >> 3 < 16 else f for f in frames if f[0] >> 3 != 11][:6000]
    decoder = FrameDecoder(reference=LFPG)  # complete: every register, as rs1090
    # aircraft 1 and 2 confirmed by an identification squitter (DF17: CRC, no address)
    bodies = [IDENT[:1] + icao.to_bytes(3, "big") + IDENT[4:-3] for icao in (1, 2)]
    confirm = [IDENT] + [b + residual(b + b"\x00" * 3).to_bytes(3, "big") for b in bodies]
    assert None not in decoder.decode(confirm, [0.0] * 3)
    before = decoder.stats.rs1090_calls
    compared = 0
    for icao in (0x393322, 1, 2):
        batch = [f if f[0] >> 3 in (17, 18) else _readdressed(f, icao) for f in frames]
        batch = [f for f in batch if f[0] >> 3 not in (17, 18)]
        got = decoder.decode(batch, [1.0] * len(batch))
        expected = rs1090.decode([f.hex() for f in batch])
        for message, reference in zip(got, expected, strict=True):
            assert message is not None and reference is not None
            assert message["icao24"] == f"{icao:06x}"
            del message["timestamp"], message["frame"]
            assert message == reference
            compared += 1
    assert compared > 10_000
    # the second and third aircraft's short replies came from the header cache
    assert decoder.stats.rs1090_calls - before < compared * 0.8
