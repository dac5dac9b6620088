"""Counters the engine keeps while it runs; cheap to update, snapshotted for the live view."""

import time

from netkit.listen.events import StatsSnapshot


class Stats:
    """Totals over the listener's life. Live connections carry their own byte counters (one
    attribute add per read or write); they are added in here when the connection closes."""

    __slots__ = (
        "address",
        "bytes_in",
        "bytes_out",
        "connections_peak",
        "connections_total",
        "datagrams_in",
        "datagrams_out",
        "mux",
        "refused",
        "started",
        "transport",
    )

    def __init__(self, transport: str, address: str, mux: str) -> None:
        self.transport = transport
        self.address = address
        self.mux = mux
        self.started = time.monotonic()
        self.connections_total = 0
        self.connections_peak = 0
        self.refused = 0
        self.bytes_in = 0  # of closed connections, and every datagram
        self.bytes_out = 0
        self.datagrams_in = 0
        self.datagrams_out = 0

    def snapshot(self, now: int, live_in: int = 0, live_out: int = 0) -> StatsSnapshot:
        return StatsSnapshot(
            transport=self.transport,
            address=self.address,
            mux=self.mux,
            uptime_s=round(time.monotonic() - self.started, 3),
            connections_now=now,
            connections_total=self.connections_total,
            connections_peak=self.connections_peak,
            refused=self.refused,
            bytes_in=self.bytes_in + live_in,
            bytes_out=self.bytes_out + live_out,
            datagrams_in=self.datagrams_in,
            datagrams_out=self.datagrams_out,
        )
