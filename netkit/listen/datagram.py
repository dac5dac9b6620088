"""UDP: every datagram goes back to the address it came from, for any number of peers at once."""

import socket

from netkit.listen.config import READ_BUFFER_SIZE, Behaviour
from netkit.listen.engine import Engine
from netkit.listen.events import ConnectionRefused
from netkit.listen.transport import format_peer

# Datagrams handled per readiness report before the loop waits again (fairness, and a bound).
DRAIN_BATCH = 256
_REPORTED_PEERS_MAX = 1024  # refused peers logged once each, up to this many


class DatagramService:
    """The receive/answer loop for one UDP socket; event loops call ``drain`` when it is
    readable, the blocking back end calls ``serve_forever``."""

    def __init__(self, engine: Engine, sock: socket.socket) -> None:
        self.engine = engine
        self.sock = sock
        self.buffer = bytearray(READ_BUFFER_SIZE)  # 65,507 bytes is the largest IPv4 payload
        self.view = memoryview(self.buffer)
        self.echo = engine.config.behaviour is Behaviour.ECHO
        self.sink = engine.observer.data if engine.config.behaviour is Behaviour.PRINT else None
        self.filtered = engine.policy.active
        self.once = engine.config.once
        self._reported: set[str] = set()

    def drain(self, mask: int = 0) -> None:
        """Answer what is queued now, up to DRAIN_BATCH datagrams, without blocking."""
        recvfrom_into = self.sock.recvfrom_into
        sendto = self.sock.sendto
        buffer, view, stats = self.buffer, self.view, self.engine.stats
        for _ in range(DRAIN_BATCH):
            try:
                n, address = recvfrom_into(buffer)
            except BlockingIOError:
                return
            except OSError:
                continue  # an ICMP error for an earlier reply (peer gone): not ours to stop on
            stats.datagrams_in += 1
            stats.bytes_in += n
            if self.filtered or not self.echo:
                self._handle_other(n, address)
            else:
                try:
                    stats.bytes_out += sendto(view[:n], address)
                    stats.datagrams_out += 1
                except OSError:
                    pass  # a full send buffer or an unreachable peer: UDP may drop, we go on
            if self.once:
                self.engine.running = False
                return

    def serve_forever(self) -> None:
        """The blocking back end: recvfrom, sendto, repeat (the socket is in blocking mode)."""
        self.sock.setblocking(True)
        recvfrom_into = self.sock.recvfrom_into
        sendto = self.sock.sendto
        buffer, view, stats, engine = self.buffer, self.view, self.engine.stats, self.engine
        plain_echo = self.echo and not self.filtered
        while engine.running:
            try:
                n, address = recvfrom_into(buffer)
            except OSError:
                continue
            stats.datagrams_in += 1
            stats.bytes_in += n
            if plain_echo:
                try:
                    stats.bytes_out += sendto(view[:n], address)
                    stats.datagrams_out += 1
                except OSError:
                    pass
            else:
                self._handle_other(n, address)
            if self.once:
                return

    def _handle_other(self, n: int, address: tuple[str, int]) -> None:
        if self.filtered:
            reason = self.engine.policy.refusal(address[0])
            if reason is not None:
                self.engine.stats.refused += 1
                peer = format_peer(address)
                if peer not in self._reported and len(self._reported) < _REPORTED_PEERS_MAX:
                    self._reported.add(peer)
                    self.engine.observer.refused(ConnectionRefused(peer, reason))
                return
        if self.echo:
            try:
                self.engine.stats.bytes_out += self.sock.sendto(self.view[:n], address)
                self.engine.stats.datagrams_out += 1
            except OSError:
                pass
        elif self.sink is not None:
            self.sink(format_peer(address), bytes(self.view[:n]))
