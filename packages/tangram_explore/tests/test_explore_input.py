"""Bad input and limits: literal inputs for the sans-I/O parts, then the same through a
running server (each limit hit with input just over it)."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator

import httpx
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from tangram_explore import ExploreError, Session
from tangram_explore.files import file_to_geojson
from tangram_explore.frames import table_to_geojson
from tangram_explore.geojson import as_feature_collection
from tangram_explore.store import LayerStore, Limits, check_style
from tangram_explore.tables import ARROW, PARQUET, decode, encode, prepare, to_arrow, to_geojson

import tangram
from tangram.testing import free_port

POINT = {"type": "Point", "coordinates": [2.0, 48.0]}
RECORDING = b"\n".join(
    orjson.dumps(m)
    for m in [
        {
            "timestamp": 1.0,
            "icao24": "3946e3",
            "altitude": 4950,
            "latitude": 49.0,
            "longitude": 2.2,
        },
        {"timestamp": 1.5, "icao24": "3946e3", "df": "4", "altitude": 5000},
        {
            "timestamp": 2.0,
            "icao24": "3946e3",
            "altitude": 5100,
            "latitude": 49.1,
            "longitude": 2.3,
        },
        {
            "timestamp": 2.0,
            "icao24": "4ca63a",
            "altitude": 6825,
            "latitude": 49.2,
            "longitude": 1.7,
        },
    ]
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([1, 2], "expected a GeoJSON object"),
        ({"type": "Feature", "geometry": {"type": "Point"}}, "feature.geometry.coordinates: "),
        ({"type": "Blob"}, "type: expected 'FeatureCollection'"),
        ({"type": "FeatureCollection", "features": "x"}, "features: expected a list"),
        (
            {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {}}]},
            "features[0].geometry.type: expected one of Point, MultiPoint",
        ),
        ({"type": "Point", "coordinates": [2.0]}, "geometry.coordinates: expected a position"),
        ({"type": "Point", "coordinates": [2.0, float("nan")]}, "expected a position"),
        ({"type": "LineString", "coordinates": [2.0, 48.0]}, "geometry.coordinates[0]: expected"),
        (
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": POINT, "properties": 3}],
            },
            "features[0].properties: expected an object",
        ),
    ],
)
def test_invalid_geojson_names_the_field(data: object, expected: str) -> None:
    with pytest.raises(ExploreError, match=re.escape(expected)):
        as_feature_collection(data, max_features=10)


def test_geojson_forms_and_feature_limit() -> None:
    assert as_feature_collection(POINT, 1)["features"][0]["geometry"] == POINT
    feature = {"type": "Feature", "geometry": None, "properties": None, "id": 7}
    assert as_feature_collection(feature, 1)["features"] == [
        {"type": "Feature", "geometry": None, "properties": {}, "id": 7}
    ]
    many = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": POINT}] * 3}
    assert len(as_feature_collection(many, 3)["features"]) == 3
    with pytest.raises(ExploreError, match="3 features, more than the limit of 2"):
        as_feature_collection(many, 2)


def test_table_without_position_names_the_column() -> None:
    with pytest.raises(ExploreError, match="expected a 'latitude' column.*columns are: lon, x"):
        table_to_geojson({"lon": [1.0], "x": [2]}, max_features=10)
    with pytest.raises(ExploreError, match="expected a 'longitude' column"):
        table_to_geojson({"Latitude": [1.0]}, max_features=10)
    with pytest.raises(ExploreError, match="color_by: no column 'alt'"):
        table_to_geojson({"lat": [1.0], "lon": [2.0]}, color_by="alt", max_features=10)


def test_table_points_lines_and_limit() -> None:
    columns = {"lat": [48.0, None, 49.0, "x"], "lng": [2.0, 2.5, 3.0, 1.0], "v": [1, 2, None, 4]}
    points = table_to_geojson(columns, color_by="v", max_features=2)["features"]
    assert [f["geometry"]["coordinates"] for f in points] == [[2.0, 48.0], [3.0, 49.0]]
    assert [f["properties"] for f in points] == [{"v": 1.0}, {"v": None}]
    with pytest.raises(ExploreError, match="more than 1 features"):
        table_to_geojson(columns, max_features=1)
    grouped = {"icao24": ["a", "b", "a"], "latitude": [1, 2, 3], "longitude": [4, 5, 6]}
    lines = table_to_geojson(grouped, max_features=2)["features"]
    assert lines[0]["geometry"] == {"type": "LineString", "coordinates": [[4.0, 1.0], [6.0, 3.0]]}
    assert lines[1]["geometry"] == {"type": "Point", "coordinates": [5.0, 2.0]}
    with pytest.raises(ExploreError, match="more than 1 features"):
        table_to_geojson(grouped, max_features=1)


def test_files() -> None:
    csv = b"name,latitude,longitude,altitude\nA,48.1,2.1,100\nB,,2.2,200\nC,48.3,2.3,300\n"
    points = file_to_geojson("p.csv", csv, max_bytes=1000, max_features=10)["features"]
    assert len(points) == 2
    traj = file_to_geojson(
        "rec.jsonl.gz", gzip.compress(RECORDING), max_bytes=10_000, max_features=10
    )
    assert [f["properties"]["icao24"] for f in traj["features"]] == ["3946e3", "4ca63a"]
    assert traj["features"][0]["geometry"]["coordinates"] == [[2.2, 49.0], [2.3, 49.1]]
    with pytest.raises(ExploreError, match="p.csv: expected a 'latitude' column"):
        file_to_geojson("p.csv", b"a,b\n1,2\n", max_bytes=1000, max_features=10)
    with pytest.raises(ExploreError, match="x.geojson: not valid JSON"):
        file_to_geojson("x.geojson", b"{oops", max_bytes=1000, max_features=10)
    with pytest.raises(ExploreError, match="r.jsonl: line 2: not valid JSON"):
        file_to_geojson("r.jsonl", b'{"a": 1}\nnope\n', max_bytes=1000, max_features=10)
    with pytest.raises(ExploreError, match="x.gz: not a readable gzip file"):
        file_to_geojson("x.gz", b"\x1f\x8bnot gzip", max_bytes=1000, max_features=10)
    with pytest.raises(ExploreError, match="unknown file type"):
        file_to_geojson("x.shp", b"...", max_bytes=1000, max_features=10)
    # A small archive that would expand past the limit is refused, one byte over it.
    bomb = gzip.compress(b" " * 1001)
    with pytest.raises(ExploreError, match="more than 1000 bytes once decompressed"):
        file_to_geojson("big.csv.gz", bomb, max_bytes=1000, max_features=10)
    assert file_to_geojson(
        "ok.json.gz", gzip.compress(orjson.dumps(POINT)), max_bytes=1000, max_features=1
    )


def test_style_and_store_limits() -> None:
    assert check_style({"color": "#abc", "radius": 4, "opacity": 1}) == {
        "color": "#abc",
        "radius": 4,
        "opacity": 1,
    }
    with pytest.raises(ExploreError, match="unknown key 'colour'"):
        check_style({"colour": "red"})
    with pytest.raises(ExploreError, match="style opacity: expected a number between 0 and 1"):
        check_style({"opacity": 1.01})
    with pytest.raises(ExploreError, match="style color: expected a CSS colour"):
        check_style({"color": "url(javascript:x)"})
    collection = as_feature_collection(POINT, 1)
    store = LayerStore(Limits(max_layers=2, max_layer_bytes=400, max_total_bytes=300))
    first = store.add(collection, "one", None)
    store.add(collection, None, None)
    with pytest.raises(ExploreError, match="already 2 layers"):
        store.add(collection, "three", None)
    store.remove(first.id)
    big = as_feature_collection(
        {"type": "Feature", "geometry": POINT, "properties": {"p": "x" * 160}}, 1
    )
    with pytest.raises(ExploreError, match="would take .* bytes, more than the limit of 300"):
        store.add(big, "big", None)
    store.clear()
    bigger = as_feature_collection(
        {"type": "Feature", "geometry": POINT, "properties": {"p": "x" * 300}}, 1
    )
    with pytest.raises(ExploreError, match="more than the limit of 400 per layer"):
        store.add(bigger, "bigger", None)
    with pytest.raises(ExploreError, match="no feature has a numeric property 'alt'"):
        store.add(collection, "c", {"color_by": "alt"})
    assert store.add(collection, " " * 3, None).label.startswith("layer ")
    assert len(store) == 1


@pytest.fixture(scope="module")
def small() -> Iterator[str]:
    """One runtime with small limits (channel off: HTTP only)."""
    from tangram.testing import start_redis

    with start_redis() as redis:
        config = tangram.TangramConfig.model_validate(
            {
                "core": {"redis_url": redis.url, "plugins": ["tangram_explore"]},
                "server": {"port": free_port()},
                "channel": {"enabled": False},
                "plugins": {
                    "tangram_explore": {"max_layers": 2, "max_features": 3, "max_layer_bytes": 2000}
                },
            }
        )
        with tangram.Runtime(config) as rt:
            yield rt.url


def test_server_refuses_bad_input_and_stays_up(small: str) -> None:
    with Session(small) as session:
        session.clear()
        with pytest.raises(ExploreError, match="expected a 'latitude' column.*columns are: x"):
            session.push(pl.DataFrame({"x": [1.0]}))
        with pytest.raises(ExploreError, match=r"features\[0\].geometry.type: expected one of"):
            session.push(
                {
                    "type": "FeatureCollection",
                    "features": [{"type": "Feature", "geometry": {"type": "Circle"}}],
                }
            )
        with pytest.raises(ExploreError, match="data: expected a GeoJSON mapping"):
            session.push([1, 2, 3])
        four = pl.DataFrame({"latitude": [1.0, 2.0, 3.0, 4.0], "longitude": [1.0, 2.0, 3.0, 4.0]})
        with pytest.raises(ExploreError, match="4 features, more than the limit of 3"):
            session.push(four)
        assert session.push(four.head(3), label="three") and session.push(POINT)
        with pytest.raises(ExploreError, match="already 2 layers"):
            session.push(POINT)
        assert len(session.layers()) == 2
        session.clear()

    too_big = httpx.post(f"{small}/explore/layers", content=b" " * 2001)
    assert too_big.status_code == 413 and "over 2000 bytes" in too_big.json()["detail"]
    assert httpx.post(f"{small}/explore/layers", content=b"{").status_code == 400
    assert httpx.post(f"{small}/explore/layers", content=b"[]").json()["detail"].startswith("body:")
    unreadable = httpx.post(f"{small}/explore/upload", params={"name": "x.csv"}, content=b"a,b\n")
    assert unreadable.status_code == 400
    assert unreadable.json()["detail"] == (
        "x.csv: expected a 'latitude' column (or lat); the columns are: a, b"
    )
    recording = httpx.post(f"{small}/explore/upload", params={"name": "r.jsonl"}, content=RECORDING)
    assert recording.status_code == 201, recording.text
    assert recording.json()["label"] == "r.jsonl" and recording.json()["features"] == 2
    assert httpx.get(f"{small}/explore/data/nope").status_code == 404
    assert httpx.delete(f"{small}/explore/layers/nope").status_code == 404
    assert httpx.get(f"{small}/explore/layers").status_code == 200


def test_a_track_of_floats_is_a_heading_not_an_id() -> None:
    headings = {"latitude": [1, 2], "longitude": [3, 4], "track": [90.0, 91.5]}
    assert [
        f["geometry"]["type"] for f in table_to_geojson(headings, max_features=5)["features"]
    ] == [
        "Point",
        "Point",
    ]
    ids = {"latitude": [1, 2], "longitude": [3, 4], "track": ["t1", "t1"]}
    assert table_to_geojson(ids, max_features=5)["features"][0]["geometry"]["type"] == "LineString"


def test_tables_become_checked_arrow_layers() -> None:
    rows = {
        "flight_id": ["b", "a", "b", "a"],
        "timestamp": [2, 1, 1, 2],
        "Lat": [48.0, 49.0, 47.0, None],
        "lng": [2.0, 3.0, 4.0, 5.0],
        "alt": [1, 2, None, 4],
    }
    lines = prepare(pa.table(rows), "alt")
    assert (lines.kind, lines.group, lines.features, lines.value_range) == (
        "lines",
        "flight_id",
        2,
        [1.0, 2.0],
    )
    table = lines.table
    assert table.column_names == ["longitude", "latitude", "alt", "flight_id"]
    assert [str(t) for t in table.schema.types[:3]] == ["double", "double", "double"]
    # sorted by flight then time; the row without latitude dropped; a missing value is NaN
    assert table.column("flight_id").to_pylist() == ["a", "b", "b"]
    assert table.column("longitude").to_pylist() == [3.0, 4.0, 2.0]
    alt = table.column("alt").to_pylist()
    assert alt[0] == 2.0 and alt[1] != alt[1] and alt[2] == 1.0
    body = encode(lines, "two flights", {"color_by": "alt"})
    again = decode(body, max_features=2)
    assert (again.label, again.style) == ("two flights", {"color_by": "alt"})
    assert repr(again.table.to_pydict()) == repr(table.to_pydict())  # repr: NaN == NaN
    assert to_geojson(again.table, "alt", "flight_id")["features"][1] == {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[4.0, 47.0], [2.0, 48.0]]},
        "properties": {"flight_id": "b", "alt": 1.0},
    }
    with pytest.raises(ExploreError, match="2 features, more than the limit of 1"):
        decode(body, max_features=1)
    with pytest.raises(ExploreError, match="not a readable Arrow IPC stream"):
        decode(body[: len(body) // 2], max_features=2)
    with pytest.raises(ExploreError, match="column 'longitude': expected values between -180"):
        prepare(pa.table({"lat": [0.0], "lon": [181.0]}), None)
    with pytest.raises(ExploreError, match="column 'lat': expected numbers, got string"):
        prepare(pa.table({"lat": ["north"], "lon": [1.0]}), None)
    with pytest.raises(ExploreError, match="style color_by: no column 'speed'; the columns are"):
        prepare(pa.table({"lat": [0.0], "lon": [1.0]}), "speed")
    points = prepare(pa.table({"lat": [1.0, float("nan"), 3.0], "lon": [4, 5, 6]}), None)
    assert (points.kind, points.features) == ("points", 2)
    assert points.table.column("latitude").to_pylist() == [1.0, 3.0]


def test_table_layers_over_the_limit_and_bad_bodies_through_http(small: str) -> None:
    with Session(small) as session:
        session.clear()
    frame = pa.table({"latitude": [1.0, 2.0, 3.0, 4.0], "longitude": [1.0, 2.0, 3.0, 4.0]})
    four = encode(prepare(frame, None), "four", None)
    headers = {"content-type": ARROW}
    refused = httpx.post(f"{small}/explore/layers", content=four, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("4 features, more than the limit of 3")
    garbage = httpx.post(f"{small}/explore/layers", content=b"ARROW1", headers=headers)
    assert garbage.status_code == 400 and "not a readable Arrow IPC" in garbage.json()["detail"]
    three = encode(prepare(frame.slice(0, 3), None), "three", None)
    added = httpx.post(f"{small}/explore/layers", content=three, headers=headers)
    assert added.status_code == 201 and added.json()["format"] == "arrow"
    assert (added.json()["kind"], added.json()["rows"]) == ("points", 3)
    httpx.delete(f"{small}/explore/layers")


def test_data_is_served_as_geojson_arrow_or_parquet(small: str) -> None:
    """Every format of a table layer, by ``format`` and by Accept; row counts, columns."""
    rows = {
        "icao24": ["a", "a", "a", "b", "b"],
        "timestamp": [1, 2, 3, 1, 2],
        "latitude": [48.0, 48.1, 48.2, 47.0, 47.1],
        "longitude": [2.0, 2.1, 2.2, 3.0, 3.1],
        "altitude": [1000, 2000, 3000, 500, 600],
    }
    with Session(small) as session:
        session.clear()
        layer = session.push(pl.DataFrame(rows), label="lines", style={"color_by": "altitude"})
        shape = session.push(POINT, label="a point")
    url = f"{small}/explore/data/{layer}"
    columns = ["longitude", "latitude", "altitude", "icao24"]
    described = httpx.get(f"{small}/explore/layers").json()[0]
    assert (described["format"], described["kind"], described["rows"]) == ("arrow", "lines", 5)
    assert described["features"] == 2 and described["columns"] == columns

    def arrow(response: httpx.Response) -> pa.Table:
        assert response.status_code == 200 and response.headers["content-type"] == ARROW
        return ipc.open_stream(response.content).read_all()

    def parquet(response: httpx.Response) -> pa.Table:
        assert response.status_code == 200 and response.headers["content-type"] == PARQUET
        return pq.read_table(pa.py_buffer(response.content))

    def geojson(response: httpx.Response) -> list[dict[str, object]]:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/geo+json"
        features: list[dict[str, object]] = response.json()["features"]
        return features

    for table in (
        arrow(httpx.get(url, params={"format": "arrow"})),
        arrow(httpx.get(url, headers={"accept": ARROW})),
        parquet(httpx.get(url, params={"format": "parquet"})),
        parquet(httpx.get(url, headers={"accept": PARQUET})),
    ):
        assert (table.num_rows, table.column_names) == (5, columns)
        assert table.column("altitude").to_pylist() == [1000, 2000, 3000, 500, 600]
    small_default = geojson(httpx.get(url))  # small: GeoJSON unless asked otherwise
    assert [f["properties"] for f in small_default] == [
        {"icao24": "a", "altitude": 2000.0},
        {"icao24": "b", "altitude": 550.0},
    ]
    assert len(geojson(httpx.get(url, params={"format": "geojson"}))) == 2
    assert len(geojson(httpx.get(url, headers={"accept": "application/geo+json"}))) == 2
    wrong = httpx.get(url, params={"format": "csv"})
    assert wrong.status_code == 400 and "expected one of geojson, arrow, parquet" in wrong.text
    # A GeoJSON layer is GeoJSON only.
    assert len(geojson(httpx.get(f"{small}/explore/data/{shape}"))) == 1
    assert httpx.get(f"{small}/explore/data/{shape}", params={"format": "arrow"}).status_code == 406
    httpx.delete(f"{small}/explore/layers")


def test_pandas_and_pyarrow_tables_and_a_parquet_file() -> None:
    pd = pytest.importorskip("pandas")
    from tangram_explore.frames import columns_of, is_table

    rows = {"latitude": [48.0, None, 49.0], "longitude": [2.0, 3.0, 4.0], "altitude": [1, 2, 3]}
    frame = pd.DataFrame(rows, index=[10, 11, 12])
    table = pa.table(rows)
    for data in (frame, table, pl.DataFrame(rows)):
        assert is_table(data)
        features = table_to_geojson(columns_of(data), color_by="altitude", max_features=5)
        assert [f["geometry"]["coordinates"] for f in features["features"]] == [
            [2.0, 48.0],
            [4.0, 49.0],
        ]
        assert features["features"][1]["properties"] == {"altitude": 3.0}
        layer = prepare(to_arrow(data), "altitude")
        assert layer.table.to_pydict() == {
            "longitude": [2.0, 4.0],
            "latitude": [48.0, 49.0],
            "altitude": [1.0, 3.0],
        }
    assert not is_table(rows)

    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    parquet = buffer.getvalue().to_pybytes()
    dropped = file_to_geojson("p.parquet", parquet, max_bytes=10_000, max_features=5)
    assert len(dropped["features"]) == 2
    with pytest.raises(ExploreError, match="p.parquet: not a readable Parquet file"):
        file_to_geojson("p.parquet", b"PAR1 nope", max_bytes=10_000, max_features=5)


class _Shape:
    """What shapely geometries and geopandas frames offer."""

    __geo_interface__ = {"type": "LineString", "coordinates": ((2.0, 48.0), (3.0, 49.0))}


def test_objects_with_geo_interface(small: str) -> None:
    with Session(small) as session:
        session.clear()
        layer = session.push(_Shape(), label="shape")
        data = httpx.get(f"{small}/explore/data/{layer}").json()
        assert data["features"][0]["geometry"] == {
            "type": "LineString",
            "coordinates": [[2.0, 48.0], [3.0, 49.0]],
        }
        session.clear()
