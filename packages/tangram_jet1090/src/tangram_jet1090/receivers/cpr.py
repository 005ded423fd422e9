"""Compact Position Reporting (CPR, DO-260B appendix A), sans-I/O.

ADS-B positions arrive as 17-bit fractions of a latitude zone, alternately in an
"even" and an "odd" zoning. Two frames of opposite parity, close in time, give an
unambiguous airborne position anywhere on Earth (global decoding). One frame and a
reference within half a zone (180 NM airborne, 45 NM on the surface, whose zones are
four times smaller) give the position near that reference (local decoding).
"""

from __future__ import annotations

import math

__all__ = ["global_airborne", "local", "nl"]

_NZ = 15
_SCALE = 131072.0  # 2**17
_NL_FACTOR = 1 - math.cos(math.pi / (2 * _NZ))


def nl(lat: float) -> int:
    """Number of longitude zones at latitude ``lat`` (1 to 59)."""
    lat = abs(lat)
    if lat == 0:
        return 59
    if lat == 87:
        return 2
    if lat > 87:
        return 1
    cos_lat = math.cos(math.radians(lat))
    return int(2 * math.pi / math.acos(1 - _NL_FACTOR / (cos_lat * cos_lat)))


def global_airborne(
    even: tuple[int, int], odd: tuple[int, int], latest_odd: bool
) -> tuple[float, float] | None:
    """Position from an even and an odd ``(lat_cpr, lon_cpr)`` of one aircraft.

    ``latest_odd`` tells which one is the newer (its position is returned). None when
    the two frames straddle a longitude-zone boundary (wait for the next pair).
    """
    lat0, lat1 = even[0] / _SCALE, odd[0] / _SCALE
    j = math.floor(59 * lat0 - 60 * lat1 + 0.5)
    lat_even = 360 / 60 * (j % 60 + lat0)
    lat_odd = 360 / 59 * (j % 59 + lat1)
    if lat_even >= 270:
        lat_even -= 360
    if lat_odd >= 270:
        lat_odd -= 360
    zones = nl(lat_even)
    if zones != nl(lat_odd):
        return None
    lon0, lon1 = even[1] / _SCALE, odd[1] / _SCALE
    m = math.floor(lon0 * (zones - 1) - lon1 * zones + 0.5)
    if latest_odd:
        lat, n, frac = lat_odd, max(zones - 1, 1), lon1
    else:
        lat, n, frac = lat_even, max(zones, 1), lon0
    lon = 360 / n * (m % n + frac)
    if lon >= 180:
        lon -= 360
    return lat, lon


def local(
    cpr: tuple[int, int], odd: bool, reference: tuple[float, float], surface: bool
) -> tuple[float, float]:
    """Position of one frame near ``reference`` (within half a zone of it)."""
    span = 90.0 if surface else 360.0
    lat_frac, lon_frac = cpr[0] / _SCALE, cpr[1] / _SCALE
    ref_lat, ref_lon = reference
    dlat = span / (59 if odd else 60)
    j = math.floor(ref_lat / dlat) + math.floor(0.5 + (ref_lat % dlat) / dlat - lat_frac)
    lat = dlat * (j + lat_frac)
    dlon = span / max(nl(lat) - (1 if odd else 0), 1)
    m = math.floor(ref_lon / dlon) + math.floor(0.5 + (ref_lon % dlon) / dlon - lon_frac)
    lon = dlon * (m + lon_frac)
    if lon >= 180:
        lon -= 360
    elif lon < -180:
        lon += 360
    return lat, lon
