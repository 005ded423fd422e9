"""Parser and state-table behaviour on literal jet1090 messages."""

from __future__ import annotations

import pytest
from tangram_jet1090.aircraft import AircraftTable
from tangram_jet1090.parse import MalformedMessage, UnknownMessage, parse_message


def test_airborne_position_with_negative_altitude() -> None:
    icao, ts, fields = parse_message(
        b'{"timestamp":1720249161.85,"frame":"8d39","df":"17","icao24":"393322","bds":"05",'
        b'"NUCp":7,"altitude":-75,"source":"barometric","latitude":48.99,"longitude":2.56}'
    )
    assert (icao, ts) == ("393322", 1720249161.85)
    assert fields == {"altitude": -75, "latitude": 48.99, "longitude": 2.56}


@pytest.mark.parametrize(
    "message",
    [
        # flat Comm-B, upper-case keys (jet1090 <= 0.4)
        b'{"timestamp":1.0,"df":"20","icao24":"393322","bds":"60","heading":264.2,'
        b'"IAS":173,"Mach":0.268,"vrate_barometric":2368}',
        # nested Comm-B, lower-case keys (later decoders)
        b'{"timestamp":1.0,"df":"20","icao24":"393322","bds60":{"heading":264.2,'
        b'"ias":173,"mach":0.268,"vrate_barometric":2368}}',
    ],
)
def test_comm_b_flat_and_nested_both_casings(message: bytes) -> None:
    _, _, fields = parse_message(message)
    assert fields == {"heading": 264.2, "ias": 173, "mach": 0.268, "vertical_rate": 2368}


def test_selected_altitude_and_nacp_both_spellings() -> None:
    _, _, old = parse_message(
        b'{"df":"21","icao24":"3C6DD1","squawk":"7000","bds":"40","selected_mcp":12000,'
        b'"barometric_setting":1013}'
    )
    _, _, new = parse_message(
        b'{"df":"17","icao24":"3c6dd1","bds":"62","selected_altitude":12000,"NACp":9}'
    )
    _, _, lower = parse_message(b'{"df":"17","icao24":"3c6dd1","bds":"65","nacp":10}')
    assert old == {"squawk": "7000", "selected_altitude": 12000}
    assert new == {"selected_altitude": 12000, "nacp": 9}
    assert lower == {"nacp": 10}


def test_callsigns_with_hash_are_ignored_and_others_trimmed() -> None:
    _, _, bad = parse_message(b'{"df":"17","icao24":"393322","bds":"08","callsign":"AF#34ZG"}')
    _, _, good = parse_message(b'{"df":"17","icao24":"393322","bds":"08","callsign":"AFR34ZG "}')
    assert bad == {}
    assert good == {"callsign": "AFR34ZG"}


def test_bds17_capability_flags_are_not_fields() -> None:
    _, _, fields = parse_message(
        b'{"df":"20","altitude":575,"bds":"17","bds05":true,"bds40":true,"icao24":"393322"}'
    )
    assert fields == {"altitude": 575}


def test_nulls_booleans_and_out_of_range_positions_are_dropped() -> None:
    _, _, fields = parse_message(
        b'{"df":"20","icao24":"393322","bds":"50","roll":null,"track":true,'
        b'"groundspeed":158,"latitude":95.0,"longitude":2.0}'
    )
    assert fields == {"groundspeed": 158}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"not json", MalformedMessage),
        (b"[1, 2]", MalformedMessage),
        (b'{"df":"17","icao24":"39332"}', MalformedMessage),
        (b'{"df":"17","icao24":"zzzzzz"}', MalformedMessage),
        (b'{"df":"17","icao24":"393322","timestamp":"yesterday"}', MalformedMessage),
        (b'{"df":"24","icao24":"393322"}', UnknownMessage),
    ],
)
def test_bad_messages_raise(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_message(data)


def test_table_updates_only_present_fields_and_expires() -> None:
    table = AircraftTable(expire_secs=20, registry=lambda icao: ("F-GSPZ", "B772"))
    for raw in (
        b'{"timestamp":100.0,"df":"17","icao24":"393322","bds":"08","callsign":"AFR34ZG"}',
        b'{"timestamp":101.0,"df":"4","icao24":"393322","altitude":-50}',
        b'{"timestamp":102.0,"df":"5","icao24":"393322","squawk":"1000"}',
    ):
        icao, ts, fields = parse_message(raw)
        table.update(icao, ts, fields, now=1000.0)
    record = table.get("393322")
    assert record is not None
    assert record["callsign"] == "AFR34ZG" and record["altitude"] == -50
    assert record["squawk"] == "1000" and record["count"] == 3
    assert (record["firstseen"], record["lastseen"]) == (100.0, 102.0)
    assert (record["registration"], record["typecode"]) == ("F-GSPZ", "B772")
    assert table.expire(now=1019.0) == 0
    assert table.expire(now=1021.0) == 1 and len(table) == 0
