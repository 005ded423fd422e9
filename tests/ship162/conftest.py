"""Shared for the ship162 tests: the real receiver sample beside the repository."""

from __future__ import annotations

from pathlib import Path

#: 897 real AIS lines with noise (pyais 3.3 test data, MIT, M0r13n; see shared/data).
SAMPLE = Path(__file__).resolve().parents[2].parent / "shared/data/pyais-3.3/nmea_data_sample.txt"
