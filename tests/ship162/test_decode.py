"""NMEA lines to ship updates, sans I/O: merging, tag blocks, fragments, noise, bounds."""

from __future__ import annotations

import orjson
import pytest
from tangram_ship162.encode import position_lines, static_lines
from tangram_ship162.nmea import MAX_LINE_BYTES, NmeaDecoder
from tangram_ship162.upstream import MalformedJson, parse_json
from tangram_ship162.vessel import FIELDS, UnknownMessage

from tangram.entities import EntityTable

from .conftest import SAMPLE

MMSI = 227006760


def _apply(decoder: NmeaDecoder, table: EntityTable, lines: list[bytes]) -> None:
    for line in lines:
        decoded = decoder.feed(line, "test", now=1000.0)
        if decoded is not None:
            mmsi, ts, fields, _ = decoded
            table.update(mmsi, ts, fields, now=1000.0)


def test_static_data_merges_with_positions_in_any_order() -> None:
    decoder, table = NmeaDecoder(), EntityTable("mmsi", FIELDS, 600)
    static = static_lines(
        MMSI,
        "SEINE STAR",
        "FABC",
        "ROUEN",
        70,
        imo=9123456,
        length=120,
        width=20,
        draught=7.5,
        eta=(12, 3, 14, 30),
        timestamp=1_700_000_010,
    )
    _apply(decoder, table, position_lines(MMSI, 49.48, 0.1, 12.3, 270.5, timestamp=1_700_000_000))
    _apply(decoder, table, static)
    _apply(decoder, table, position_lines(MMSI, 49.47, 0.09, 12.0, 268.0, 269, 1_700_000_020))
    ship = table.get(MMSI)
    assert ship is not None
    assert ship["shipname"] == "SEINE STAR" and ship["callsign"] == "FABC"
    assert ship["destination"] == "ROUEN" and ship["imo"] == 9123456
    assert (ship["ship_type"], ship["ship_type_text"]) == (70, "cargo")
    assert (ship["length"], ship["width"], ship["draught"]) == (120, 20, 7.5)
    assert ship["eta"] == "12-03 14:30"
    assert (ship["latitude"], ship["longitude"], ship["heading"]) == (49.47, 0.09, 269)
    assert (ship["status"], ship["status_text"]) == (0, "under way using engine")
    # tag-block times are the message times
    assert (ship["firstseen"], ship["lastseen"], ship["count"]) == (1_700_000_000, 1_700_000_020, 3)
    assert decoder.stats.by_type == {1: 2, 5: 1}


def test_noise_is_counted_by_kind_and_skipped() -> None:
    decoder = NmeaDecoder()
    good = position_lines(MMSI, 49.48, 0.1, 12.3, 270.5)[0]
    first, second = static_lines(MMSI, "A", "B", "C", 70, seq_id=4)
    broken = good[:-2] + (b"00" if not good.endswith(b"00") else b"11")
    lines = [
        b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",  # not AIS
        b"hello",
        b"!AIVDM," + b"x" * MAX_LINE_BYTES,  # over-long
        broken,  # bad checksum
        b"!AIVDM,1,1,,B,,0*25",  # empty payload
        first,  # half a two-sentence message, replaced by the next first half
        first,
        static_lines(MMSI, "A", "B", "C", 70, seq_id=5)[1],  # second half without a first
        b"!AIVDM,1,1,,A,402B4L1uubaN`1d:>REe@jA028Gh,0*6B",  # base station (type 4)
        good,
    ]
    results = [decoder.feed(line, now=1.0) for line in lines]
    assert [r is not None for r in results] == [False] * 9 + [True]
    stats = decoder.stats
    assert (stats.not_nmea, stats.bad_checksum, stats.invalid) == (3, 1, 1)
    assert (stats.incomplete, stats.unknown, stats.messages) == (2, 1, 1)
    assert all(len(samples) <= 3 for samples in stats.samples.values())


def test_pending_fragments_are_bounded() -> None:
    decoder = NmeaDecoder(max_pending=4)
    firsts = [static_lines(MMSI + n, "A", "B", "C", 70, seq_id=n % 10)[0] for n in range(5)]
    for n, line in enumerate(firsts):
        decoder.feed(line, source=f"rx{n}", now=1.0)  # five distinct messages waiting
    assert decoder.pending == 4 and decoder.stats.incomplete == 1
    # fragments older than max_fragment_age (60 s) go when the next message starts
    decoder.feed(static_lines(2, "A", "B", "C", 70)[0], source="later", now=62.0)
    assert decoder.pending == 1 and decoder.stats.incomplete == 5


def test_the_real_sample_decodes_with_its_noise_counted() -> None:
    decoder, table = NmeaDecoder(), EntityTable("mmsi", FIELDS, 600)
    _apply(decoder, table, SAMPLE.read_bytes().splitlines())
    stats = decoder.stats
    assert stats.lines == len(SAMPLE.read_bytes().splitlines()) == 898
    assert stats.messages == 764 and len(table) > 100
    assert stats.invalid == 100  # empty payloads
    assert stats.unknown > 0  # base stations and others
    assert stats.incomplete + decoder.pending == 20  # first halves without a second
    accounted = stats.messages + stats.invalid + stats.unknown + stats.not_nmea
    assert accounted + stats.bad_checksum + stats.incomplete + decoder.pending == 898


def test_upstream_json() -> None:
    body = {
        "mmsi": "227006760",
        "timestamp": 5.0,
        "latitude": 49.4,
        "longitude": 0.2,
        "ship_name": "SEINE STAR",
        "destination": "ROUEN",
    }
    mmsi, ts, fields = parse_json(orjson.dumps(body))
    assert (mmsi, ts, fields["latitude"], fields["shipname"]) == (MMSI, 5.0, 49.4, "SEINE STAR")
    for bad in (b"nope", b"[1]", b'{"lat": 1}', b'{"mmsi": "x"}', b'{"mmsi": 1, "lat": "a"}'):
        with pytest.raises((MalformedJson, UnknownMessage)):
            parse_json(bad)
    with pytest.raises(MalformedJson):
        parse_json(b"{")
