"""Sans-I/O parsers of receiver feeds, with literal bytes: Beast, AVR, SBS."""

from __future__ import annotations

from tangram_jet1090.receivers.avr import MAX_LINE, AvrParser
from tangram_jet1090.receivers.beast import BeastParser, encode
from tangram_jet1090.receivers.sbs import SbsParser

# DF17 identification of AFR34ZG, and a DF4 altitude reply (short frame).
LONG = bytes.fromhex("8f393322200464b3d1a1e03df1bf")
SHORT = bytes.fromhex("212800bf40f1ef")


def test_beast_long_short_and_mode_ac_frames() -> None:
    data = (
        b"\x1a3" + bytes.fromhex("010203040506") + b"\xc8" + LONG
        + b"\x1a2" + bytes.fromhex("000000000010") + b"\x40" + SHORT
        + b"\x1a1" + bytes.fromhex("000000000011") + b"\x20" + b"\x12\x34"
    )  # fmt: skip
    parser = BeastParser()
    frames = parser.feed(data)
    assert [(f.kind, f.ticks, f.signal, f.payload) for f in frames] == [
        (0x33, 0x010203040506, 0xC8, LONG),
        (0x32, 0x10, 0x40, SHORT),
        (0x31, 0x11, 0x20, b"\x12\x34"),
    ]
    assert parser.frames == 2 and parser.mode_ac == 1 and parser.garbage_bytes == 0


def test_beast_escaped_0x1a_in_timestamp_signal_and_payload() -> None:
    payload = bytes.fromhex("8d1a1a0000000000000000001a00")
    ticks = b"\x00\x00\x1a\x1a\x00\x00\x00"  # 00 00 1a 00 00 00, escaped
    signal = b"\x1a\x1a"
    raw = b"\x1a3" + ticks + signal + b"\x8d\x1a\x1a\x1a\x1a" + bytes(9) + b"\x1a\x1a\x00"
    (frame,) = BeastParser().feed(raw)
    assert frame.ticks == 0x00001A000000 and frame.signal == 0x1A
    assert frame.payload == payload
    assert encode(payload, ticks=0x00001A000000, signal=0x1A) == raw


def test_beast_frames_split_anywhere_across_reads() -> None:
    stream = b"".join(encode(p, ticks=0x1A1A1A, signal=0x1A) for p in (LONG, SHORT, LONG))
    for cut in range(1, len(stream)):
        parser = BeastParser()
        frames = parser.feed(stream[:cut]) + parser.feed(stream[cut:])
        assert [f.payload for f in frames] == [LONG, SHORT, LONG], cut
        assert parser.garbage_bytes == 0 and parser.truncated == 0


def test_beast_resyncs_after_garbage_and_truncated_frames() -> None:
    parser = BeastParser()
    garbage = b"hello\x00\xff\x1a\x1a\x1a9xyz"
    cut = encode(LONG)[:12]  # a frame cut short: the next frame start interrupts it
    frames = parser.feed(garbage + encode(SHORT) + cut + encode(LONG) + b"\x1a\x35junk")
    assert [f.payload for f in frames] == [SHORT, LONG]
    assert parser.truncated == 1
    assert parser.garbage_bytes >= len("hello") + len("xyz")
    # a stream of pure garbage never grows the buffer beyond one partial frame
    for _ in range(100):
        assert parser.feed(bytes(range(256)) * 4) == []
    assert len(parser._rest) <= 2 + 2 * 21


def test_avr_plain_and_timestamped_lines() -> None:
    parser = AvrParser()
    frames = parser.feed(
        b"*8F393322200464B3D1A1E03DF1BF;\r\n@0000123456AB212800BF40F1EF;\n*2000;\n*8F39"
    )
    assert [(f.payload, f.ticks) for f in frames] == [(LONG, None), (SHORT, 0x123456AB)]
    assert parser.mode_ac == 1
    assert [f.payload for f in parser.feed(b"3322200464B3D1A1E03DF1BF;\n")] == [LONG]
    assert parser.bad_lines == 0


def test_avr_skips_and_counts_bad_lines() -> None:
    parser = AvrParser()
    bad = (
        b"garbage\n*8F3933;\n*ZZ393322200464B3D1A1E03DF1BF;\n@12*8F39;\n"
        b"*8F393322200464B3D1A1E03DF1BF\n"
    )
    assert parser.feed(bad + b"*212800BF40F1EF;\n") == [(SHORT, None)]
    assert parser.bad_lines == 5
    parser.feed(b"*" + b"0" * (MAX_LINE + 1))  # no end of line in sight: dropped
    assert parser.bad_lines == 6 and parser._rest == b""


SBS_POSITION = (
    b"MSG,3,1,1,393322,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.525,,575,,,"
    b"49.00583,2.57355,,,0,,0,1\r\n"
)
SBS_TIMES = b"2024/07/06,06:43:09.525,2024/07/06,06:43:09.525"
SBS_IDENT = b"MSG,1,1,1,393322,1," + SBS_TIMES + b",AFR34ZG ,,,,,,,,0,0,0,0\r\n"
SBS_VELOCITY = b"MSG,4,1,1,393322,1," + SBS_TIMES + b",,,152,87.5,,,-640,,0,0,0,0\n"
SBS_SQUAWK = (
    b"MSG,6,1,1,393322,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.525,,575,,,,,,1000,0,0,0,0\n"
)


def test_sbs_messages_map_onto_jet1090_fields() -> None:
    parser = SbsParser()
    out = parser.feed(SBS_POSITION + SBS_IDENT + SBS_VELOCITY + SBS_SQUAWK)
    assert [m for _, m in out] == [
        {
            "df": "17",
            "icao24": "393322",
            "altitude": 575,
            "latitude": 49.00583,
            "longitude": 2.57355,
        },
        {"df": "17", "icao24": "393322", "callsign": "AFR34ZG"},
        {"df": "17", "icao24": "393322", "groundspeed": 152, "track": 87.5, "vertical_rate": -640},
        {"df": "5", "icao24": "393322", "altitude": 575, "squawk": "1000"},
    ]
    # the same report from another receiver (other times) has the same dedup key
    other = SBS_POSITION.replace(b"06:43:09.525", b"06:43:09.731")
    assert parser.feed(other)[0][0] == out[0][0]


def test_sbs_skips_and_counts_what_is_not_sbs() -> None:
    parser = SbsParser()
    lines = (
        b"AIR,,1,1,393322,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.525\n"
        b"not,sbs,at,all\n"
        b"MSG,3,1,1,39332Z,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.525,,575,,,,,,,,,,\n"
        b"MSG,9,1,1,393322,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.525,,575,,,,,,,,,,\n"
        b"MSG,3,1,1,393322\n"
        b"MSG,3,1,1,393322,1,d,t,d,t,,nan,,,,,,,,,,\n"
        b"\xff\xfe\n"
    )
    assert parser.feed(lines + SBS_IDENT)[0][1]["callsign"] == "AFR34ZG"
    assert parser.other == 1 and parser.bad_lines == 6 and parser.messages == 1
