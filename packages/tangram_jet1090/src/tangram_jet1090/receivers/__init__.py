"""Receivers read directly: Beast, AVR and SBS feeds over TCP, decoded in-process.

Sans-I/O parsers (``beast``, ``avr``, ``sbs``), CPR (``cpr``), decoding with rs1090
(``decode``), deduplication (``dedup``), the TCP sources (``sources``) and the hub that
ties them to the plugin's ingest path (``hub``). See docs/jet1090.md.
"""

from __future__ import annotations

from .hub import ReceiverHub
from .publish import Publisher
from .record import Recorder
from .reference import resolve_reference
from .sources import SourceUrl, parse_source

__all__ = [
    "Publisher",
    "ReceiverHub",
    "Recorder",
    "SourceUrl",
    "parse_source",
    "resolve_reference",
]
