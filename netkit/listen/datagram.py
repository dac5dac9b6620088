"""UDP: every datagram goes back to the address it came from, for any number of peers at once."""

import socket
import time

from netkit.listen.config import READ_BUFFER_SIZE, Behaviour
from netkit.listen.engine import Engine
from netkit.listen.events import Notice, PeerSeen
from netkit.listen.transport import format_peer

# Datagrams handled per readiness report before the loop waits again (fairness, and a bound).
DRAIN_BATCH = 256
_REPORTED_PEERS_MAX = 1024  # refused peers logged once each, up to this many
_SEEN_PEERS_MAX = 4096  # -v logs each new peer, up to this many (memory stays bounded)


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
        self.peer_seen = engine.observer.peer_seen
        self._seen: set[tuple[str, int]] = set()
        engine.stats.answers_datagrams = self.echo

    def drain(self, mask: int = 0) -> None:
        """Answer what is queued now, up to DRAIN_BATCH datagrams, without blocking."""
        if self.once or self.filtered or not self.echo or self.peer_seen is not None:
            for _ in range(DRAIN_BATCH):
                if not self._answer_one():
                    return
            return
        # The hot path, kept flat: per datagram two counters, recvfrom_into and sendto.
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
            try:
                sendto(view[:n], address)
            except OSError:  # a full send buffer, an unreachable peer: UDP may drop, we go on
                stats.datagrams_dropped += 1
                stats.bytes_dropped += n

    def serve_forever(self) -> None:
        """The blocking back end: recvfrom, sendto, repeat (the socket is in blocking mode).
        Signals end it by raising; --once by returning."""
        self.sock.setblocking(True)
        if self.once or self.filtered or not self.echo or self.peer_seen is not None:
            while self._answer_one():
                pass
            return
        recvfrom_into = self.sock.recvfrom_into
        sendto = self.sock.sendto
        buffer, view, stats = self.buffer, self.view, self.engine.stats
        while True:
            try:
                n, address = recvfrom_into(buffer)
            except OSError:
                continue
            stats.datagrams_in += 1
            stats.bytes_in += n
            try:
                sendto(view[:n], address)
            except OSError:
                stats.datagrams_dropped += 1
                stats.bytes_dropped += n

    def _answer_one(self) -> bool:
        """One datagram with every option applied; False when nothing is queued or --once is
        done (a refused datagram does not count: as with TCP, --once waits for a client it
        serves)."""
        try:
            n, address = self.sock.recvfrom_into(self.buffer)
        except BlockingIOError:
            return False
        except OSError:
            return True
        stats = self.engine.stats
        stats.datagrams_in += 1
        stats.bytes_in += n
        if self.peer_seen is not None and address not in self._seen:
            self._log_new_peer(address)
        if self._handle_other(n, address) and self.once:
            self.engine.running = False
            return False
        return True

    def _log_new_peer(self, address: tuple[str, int]) -> None:
        if self.peer_seen is None:
            return
        if len(self._seen) >= _SEEN_PEERS_MAX:
            self.engine.observer.notice(
                Notice(f"more than {_SEEN_PEERS_MAX} peers: new ones are no longer logged")
            )
            self.peer_seen = None
            return
        self._seen.add(address)
        self.peer_seen(PeerSeen(format_peer(address), time.time()))

    def _handle_other(self, n: int, address: tuple[str, int]) -> bool:
        """Refuse, echo, print or drop one datagram; False when the access list refused it."""
        if self.filtered:
            reason = self.engine.refusal(address, 0)
            if reason is not None:
                self.engine.stats.datagrams_dropped += 1
                self.engine.stats.bytes_dropped += n
                peer = format_peer(address)
                first = peer not in self._reported and len(self._reported) < _REPORTED_PEERS_MAX
                if first:
                    self._reported.add(peer)
                self.engine.count_refusal(peer, reason, report=first)
                return False
        if self.echo:
            try:
                self.sock.sendto(self.view[:n], address)
            except OSError:
                self.engine.stats.datagrams_dropped += 1
                self.engine.stats.bytes_dropped += n
        elif self.sink is not None:
            self.sink(format_peer(address), bytes(self.view[:n]))
        return True
