"""Build the receivers hub from ``[plugins.tangram_jet1090]`` (``sources`` and co)."""

from __future__ import annotations

from pathlib import Path

from .config import Jet1090Config
from .receivers import Publisher, ReceiverHub, Recorder, parse_source, resolve_reference
from .receivers.hub import Apply, Sink

__all__ = ["build_receivers"]


def build_receivers(
    config: Jet1090Config, base_dir: Path | None, ingest: Sink, apply: Apply | None = None
) -> ReceiverHub | None:
    """None when no ``sources`` are configured. ``apply`` takes decoded frames' fields
    straight to the state (``ingest`` then only gets SBS messages)."""
    if not config.sources:
        return None
    reference = resolve_reference(config.reference) if config.reference is not None else None
    recorder = (
        Recorder(config.resolve(config.record_path, base_dir)) if config.record_path else None
    )
    publisher = Publisher(config.jet1090_channel) if config.publish_decoded else None
    return ReceiverHub(
        [parse_source(url) for url in config.sources],
        sink=ingest,
        reference=reference,
        dedup_window_secs=config.dedup_window_secs,
        silence_secs=config.receiver_timeout_secs,
        recorder=recorder,
        publisher=publisher,
        apply=apply,
    )
