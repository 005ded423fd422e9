"""NMEA 0183 lines to decoded AIS messages, sans I/O (pyais does the decoding).

A line is ``!AIVDM``/``!AIVDO`` with an optional tag block (``\\c:1700000000,s:rx*hh\\``
before it; ``c`` is the receiver's UNIX time, in seconds or milliseconds). Messages
longer than one sentence arrive as 2-9 fragments sharing a sequential id: fragments
wait in a bounded table until the set is complete. Everything that cannot be used is
counted by kind, and the first lines of each kind are kept as samples for the log:

- ``not_nmea``: not an AIS sentence (other NMEA sentences, noise, over-long lines);
- ``bad_checksum``: the checksum does not match (the sentence is dropped);
- ``invalid``: a malformed sentence or an empty payload;
- ``incomplete``: fragments of a message that never completed (replaced, too old,
  or pushed out of the table);
- ``unknown``: decoded, but a type without ship data (base stations, ...) or
  undecodable.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from pyais.exceptions import AISBaseException
from pyais.messages import AISSentence, NMEASentenceFactory

from .vessel import UnknownMessage, fields_of

__all__ = ["MAX_LINE_BYTES", "DecodeStats", "Decoded", "NmeaDecoder"]

log = logging.getLogger(__name__)

#: Longer lines are noise (an NMEA sentence is at most 82 characters; tag blocks add
#: a few dozen).
MAX_LINE_BYTES = 1024
#: Samples of refused lines kept per kind.
_SAMPLES = 3

#: ``(mmsi, timestamp or None, fields, message type)``.
Decoded = tuple[int, "float | None", dict[str, Any], int]


@dataclass
class DecodeStats:
    lines: int = 0
    messages: int = 0
    not_nmea: int = 0
    bad_checksum: int = 0
    invalid: int = 0
    incomplete: int = 0
    unknown: int = 0
    by_type: dict[int, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)

    def refuse(self, kind: str, line: bytes, why: object) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        kept = self.samples.setdefault(kind, [])
        if len(kept) < _SAMPLES:
            shown = line[:120].decode("ascii", "replace")
            kept.append(f"{shown} ({why})")
            log.warning("AIS input skipped (%s): %s (%s)", kind.replace("_", " "), shown, why)


@dataclass
class _Pending:
    parts: dict[int, AISSentence]
    timestamp: float | None
    first_line: bytes
    #: Receive time (``now`` of the first fragment), for the age limit.
    arrived: float | None


class NmeaDecoder:
    """Feed lines with :meth:`feed`; get the ship updates they complete."""

    def __init__(self, max_pending: int = 256, max_fragment_age: float = 60.0) -> None:
        self.max_pending = max_pending
        self.max_fragment_age = max_fragment_age
        self.stats = DecodeStats()
        self._pending: OrderedDict[tuple[Any, ...], _Pending] = OrderedDict()

    def feed(self, line: bytes, source: str = "", now: float | None = None) -> Decoded | None:
        """One line (without or with its line ending): the ship update it completes.
        ``source`` separates the fragment tables of several receivers; ``now`` is used
        for fragment ages."""
        decoded = self.decode(line, source, now)
        if decoded is None:
            return None
        msg, timestamp = decoded
        kind: int = msg.get("msg_type", 0)
        try:
            mmsi, fields = fields_of(msg)
        except UnknownMessage as exc:
            self.stats.refuse("unknown", line, exc)
            return None
        self.stats.messages += 1
        self.stats.by_type[kind] = self.stats.by_type.get(kind, 0) + 1
        return mmsi, timestamp, fields, kind

    def decode(
        self, line: bytes, source: str = "", now: float | None = None
    ) -> tuple[dict[str, Any], float | None] | None:
        """One line: the AIS message it completes (pyais names, enums as integers) and
        its tag-block time, or None (a fragment, or refused and counted)."""
        stats = self.stats
        line = line.strip()
        if not line:
            return None  # blank lines are not input
        stats.lines += 1
        if len(line) > MAX_LINE_BYTES or b"VD" not in line[:40]:
            stats.refuse("not_nmea", line, "not an !AIVDM/!AIVDO sentence")
            return None
        try:
            sentence = NMEASentenceFactory.produce(line)
        except AISBaseException as exc:
            stats.refuse("invalid" if b"!" in line[:40] else "not_nmea", line, exc)
            return None
        if not isinstance(sentence, AISSentence):
            stats.refuse("not_nmea", line, "not an AIS sentence")
            return None
        if not sentence.is_valid:
            stats.refuse("bad_checksum", line, "checksum mismatch")
            return None
        timestamp = _tag_time(sentence)
        if sentence.frag_cnt > 1:
            assembled = self._assemble(sentence, line, source, timestamp, now)
            if assembled is None:
                return None
            sentence, timestamp = assembled
        if not sentence.payload:
            stats.refuse("invalid", line, "empty payload")
            return None
        try:
            return sentence.decode().asdict(enum_as_int=True), timestamp
        except (AISBaseException, ValueError, KeyError, IndexError) as exc:
            stats.refuse("unknown", line, exc)
            return None

    def _assemble(
        self,
        sentence: AISSentence,
        line: bytes,
        source: str,
        timestamp: float | None,
        now: float | None,
    ) -> tuple[AISSentence, float | None] | None:
        key = (source, sentence.channel, sentence.seq_id, sentence.frag_cnt)
        pending = self._pending.get(key)
        if sentence.frag_num == 1 or pending is None:
            if pending is not None:
                self.stats.refuse("incomplete", pending.first_line, "replaced by a new message")
            if sentence.frag_num != 1:
                self.stats.refuse("incomplete", line, "fragment without its first part")
                self._pending.pop(key, None)
                return None
            pending = _Pending({}, timestamp, line, now)
            self._pending[key] = pending
            self._pending.move_to_end(key)
            self._evict(now)
        pending.parts[sentence.frag_num] = sentence
        if len(pending.parts) < sentence.frag_cnt:
            return None
        del self._pending[key]
        parts = [pending.parts[n] for n in sorted(pending.parts)]
        return AISSentence.assemble_from_iterable(parts), pending.timestamp

    def _evict(self, now: float | None) -> None:
        while len(self._pending) > self.max_pending:
            _, oldest = self._pending.popitem(last=False)
            self.stats.refuse("incomplete", oldest.first_line, "too many pending fragments")
        if now is None:
            return
        # Entries are in arrival order: the old ones are at the front.
        while self._pending:
            key, oldest = next(iter(self._pending.items()))
            if oldest.arrived is None or now - oldest.arrived <= self.max_fragment_age:
                break
            del self._pending[key]
            self.stats.refuse("incomplete", oldest.first_line, "fragments too old")

    @property
    def pending(self) -> int:
        return len(self._pending)


def _tag_time(sentence: AISSentence) -> float | None:
    block = sentence.tag_block
    if block is None:
        return None
    try:
        block.init()
        raw = block.receiver_timestamp
    except Exception:  # a broken tag block only loses its timestamp
        return None
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value / 1000.0 if value > 1e11 else value
