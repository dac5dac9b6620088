"""The query engine: many DNS queries over few sockets in one selector loop.

One asyncio task and one socket per query spends its time creating sockets and scheduling
callbacks. Here a handful of connected UDP sockets per server carry a window of queries in
flight; each readable socket is drained until EAGAIN, and a reply is matched to its query by
(socket, id) and then by question (RFC 5452 section 9.1), so stray, spoofed or garbled replies
are counted and ignored rather than accepted. Timeouts live in one FIFO (every try waits the
same time). A truncated reply (TC) moves its query to TCP (RFC 7766 section 5), and --tcp sends
every query that way: over a few non-blocking connections per server in the same loop, queries
pipelined and replies matched by id in any order (RFC 7766 section 6.2.1).
"""

import os
import selectors
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import NamedTuple

from netkit.resolve.tcp import TcpChannel
from netkit.resolve.wire import (
    FLAG_QR,
    FLAG_TC,
    MalformedReplyError,
    Reply,
    parse_reply,
    question_length,
    read_name,
    without_edns,
)

Server = tuple[str, int]  # (address, port)

_ID_FLAGS = struct.Struct("!HH")  # the first two header fields
_SOCKETS_PER_SERVER = 4  # source-port spread without paying for a socket per query
_CHANNELS_PER_SERVER = 4  # TCP connections per server, each with queries pipelined
_RECEIVE_BUFFER = 1 << 20  # room for a burst of replies while Python is busy decoding


def _reply_shaped(wire: bytes) -> bool:
    """Whether a reply we cannot use at least looks like DNS (wrong id or question), or is junk."""
    if len(wire) < 12 or not wire[2] & 0x80 or wire[4:6] != b"\x00\x01":
        return False
    try:
        _name, end = read_name(wire, 12)
    except MalformedReplyError:
        return False
    return end + 4 <= len(wire)


def _ignored_text(wrong_id: int, wrong_question: int, malformed: int) -> str:
    """' (ignored replies: 2 malformed, 1 with the wrong id)', or nothing when none were."""
    counts = [
        f"{count} {what}"
        for count, what in (
            (malformed, "malformed"),
            (wrong_id, "with the wrong id"),
            (wrong_question, "for another question"),
        )
        if count
    ]
    return f" (ignored replies: {', '.join(counts)})" if counts else ""


def _asked(query: "InFlight", wire: bytes) -> tuple[str, int] | None:
    """(name, end of question) when the reply repeats the question exactly (case included)."""
    end = query.question_end
    if query.qname is None or wire[12:end] != query.message[12:end]:
        return None
    return query.qname, end


class Exchange(NamedTuple):
    """How one query went: the decoded reply, or why there is none.

    A NamedTuple rather than a dataclass: one per query on the hot path, and it never leaves
    netkit.resolve (DnsResult is the public result).
    """

    reply: Reply | None
    server: Server
    transport: str  # "udp" or "tcp"
    elapsed: float  # seconds from the last try's send to its reply (or to giving up)
    tries: int
    error: str | None = None


class IgnoredReplies:
    """Replies thrown away, so a timeout can say what did arrive."""

    __slots__ = ("malformed", "wrong_id", "wrong_question")

    def __init__(self) -> None:
        self.wrong_id = 0
        self.wrong_question = 0
        self.malformed = 0

    def since(self, earlier: tuple[int, int, int]) -> tuple[int, int, int]:
        return (
            self.wrong_id - earlier[0],
            self.wrong_question - earlier[1],
            self.malformed - earlier[2],
        )

    def snapshot(self) -> tuple[int, int, int]:
        return (self.wrong_id, self.wrong_question, self.malformed)


class InFlight:
    """The mutable state of one query while it is in flight (a plain class: one per query)."""

    __slots__ = (
        "attempt",
        "ignored",
        "ignored_at_send",
        "ignored_from",
        "index",
        "key",
        "message",
        "qname",
        "question_end",
        "sent_at",
        "server",
        "tcp",
        "tcp_id",
        "transport",
        "tries",
        "truncated",
    )

    def __init__(self, index: int, message: bytes, question_end: int, transport: str) -> None:
        self.index = index
        self.message = message  # with id 0; the id goes in front of message[2:] per try
        self.question_end = question_end
        self.transport = transport
        self.tries = 0
        self.attempt = 0  # bumped on every send, so stale timers are recognised
        self.key: tuple[int, int] | None = None  # (socket number, id) while waiting on UDP
        self.server: Server = ("", 0)
        self.sent_at = 0.0
        # Replies thrown away while this try waited: the counters of its socket or connection,
        # and their values when it was sent (the difference goes into the timeout message).
        self.ignored_from: IgnoredReplies | None = None
        self.ignored_at_send = (0, 0, 0)
        self.ignored = [0, 0, 0]  # wrong id, wrong question, malformed
        self.truncated = False
        self.tcp: TcpChannel | None = None  # the connection it waits on, when on TCP
        self.tcp_id = 0
        self.qname: str | None = None  # the question name as text, when the caller knows it


class QueryEngine:
    """Send prepared query messages to servers and collect the replies in input order.

    One engine makes one run: run() closes its sockets when it returns.
    """

    def __init__(
        self,
        servers: Sequence[Server],
        *,
        timeout: float,
        tries: int,
        window: int,
        tcp: bool = False,
        answers_only: bool = False,
    ) -> None:
        if not servers:
            raise ValueError("no servers")
        self.servers = list(servers)
        self.timeout = timeout
        self.tries = max(1, tries)
        self.window = max(1, window)
        self.tcp = tcp
        self.answers_only = answers_only  # see parse_reply
        self._selector = selectors.DefaultSelector()
        self._udp: list[socket.socket] = []
        self._udp_server: list[Server] = []
        self._udp_by_server: dict[Server, list[int]] = {}
        self._ignored: list[IgnoredReplies] = []
        self._next_udp = 0
        self._waiting: dict[tuple[int, int], InFlight] = {}
        # Every try waits the same timeout, so deadlines come in send order: a FIFO is the
        # timer queue (a heap would sort what is already sorted). Stale entries are skipped.
        self._timers: deque[tuple[float, int, InFlight]] = deque()
        self._results: list[Exchange | None] = []
        self._done = 0
        self._in_flight = 0
        self._buffer = bytearray(65535)  # the largest UDP payload: one allocation for the run
        self._view = memoryview(self._buffer)
        # Unpredictable ids (RFC 5452 section 9.2), drawn from the kernel 1,024 at a time.
        self._id_pool = b""
        self._id_next = 0
        self._channels: dict[Server, list[TcpChannel]] = {}
        self._next_channel = 0

    # -- the loop -------------------------------------------------------------------------------

    def run(
        self,
        messages: Sequence[bytes],
        progress: Callable[[int], None] | None = None,
        names: Sequence[str | None] | None = None,
    ) -> list[Exchange]:
        """Exchange every message; results keep the order of messages.

        names, the question names of messages as text, spare decoding them again in replies.
        """
        self._results = [None] * len(messages)
        transport = "tcp" if self.tcp else "udp"
        pending = deque(
            InFlight(index, message, 12 + question_length(message), transport)
            for index, message in enumerate(messages)
        )
        if names is not None:
            for query, name in zip(pending, names, strict=True):
                query.qname = name
        try:
            while self._done < len(messages):
                while pending and self._in_flight < self.window:
                    self._in_flight += 1
                    self._send(pending.popleft())
                wait = None
                if self._timers:
                    wait = max(0.0, self._timers[0][0] - time.monotonic())
                for key, mask in self._selector.select(wait):
                    if isinstance(key.data, int):
                        self._drain_udp(key.data)
                    else:
                        self._tcp_ready(key.data, mask)
                self._expire(time.monotonic())
                if progress is not None:
                    progress(self._done)
        finally:
            self.close()
        return [result for result in self._results if result is not None]

    def close(self) -> None:
        for key in list(self._selector.get_map().values()):
            sock = key.fileobj
            if isinstance(sock, socket.socket):
                sock.close()
        self._selector.close()

    def _send(self, query: InFlight) -> None:
        query.server = self.servers[query.tries % len(self.servers)]
        query.tries += 1
        query.attempt += 1
        self._arm_timer(query)
        if query.transport == "tcp":
            self._tcp_send(query)
        else:
            self._udp_send(query)

    def _arm_timer(self, query: InFlight) -> None:
        """Start this try's clock (before sending: a send that fails at once makes it stale)."""
        query.sent_at = time.monotonic()
        self._timers.append((query.sent_at + self.timeout, query.attempt, query))

    def _finish(
        self,
        query: InFlight,
        reply: Reply | None,
        error: str | None = None,
        received: float | None = None,
    ) -> None:
        # The clock stops when the reply arrived, not after decoding it: the first record of a
        # type makes dnspython import its module, which is no part of the server's time.
        elapsed = (time.monotonic() if received is None else received) - query.sent_at
        self._results[query.index] = Exchange(
            reply, query.server, query.transport, elapsed, query.tries, error
        )
        query.attempt += 1  # its timer is now stale
        self._done += 1
        self._in_flight -= 1

    def _retry_or_fail(self, query: InFlight, error: str) -> None:
        if query.tries < self.tries:
            self._send(query)
        else:
            self._finish(query, None, error)

    def _expire(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _deadline, attempt, query = self._timers.popleft()
            if attempt != query.attempt:
                continue  # answered, or sent again since
            if query.key is not None:
                self._waiting.pop(query.key, None)
                query.key = None
            if query.tcp is not None:
                channel = query.tcp
                channel.waiting.pop(query.tcp_id, None)  # a late reply is then ignored
                query.tcp = None
                self._retire(channel)
            if query.ignored_from is not None:
                ignored = query.ignored_from.since(query.ignored_at_send)
                query.ignored = [a + b for a, b in zip(query.ignored, ignored, strict=True)]
            self._retry_or_fail(query, self._timeout_message(query))

    def _timeout_message(self, query: InFlight) -> str:
        servers = sorted({f"{address}#{port}" for address, port in self.servers})
        where = servers[0] if len(servers) == 1 else ", ".join(servers)
        over = " over TCP" if query.transport == "tcp" else ""
        tries = f"{query.tries} tries" if query.tries > 1 else "1 try"
        message = f"no reply{over} from {where} after {tries} of {self.timeout:g} s each"
        return message + _ignored_text(*query.ignored)

    # -- UDP ------------------------------------------------------------------------------------

    def _udp_socket(self, server: Server) -> int:
        numbers = self._udp_by_server.setdefault(server, [])
        if len(numbers) < _SOCKETS_PER_SERVER and len(numbers) < self.window:
            family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
            # connect(): the kernel drops datagrams from other sources and reports the
            # server's ICMP port unreachable as ECONNREFUSED instead of a silent timeout.
            sock.connect(server)
            number = len(self._udp)
            self._udp.append(sock)
            self._udp_server.append(server)
            self._ignored.append(IgnoredReplies())
            self._selector.register(sock, selectors.EVENT_READ, number)
            numbers.append(number)
            return number
        self._next_udp += 1
        return numbers[self._next_udp % len(numbers)]

    def _new_id(self) -> int:
        at = self._id_next
        if at >= len(self._id_pool):
            self._id_pool, at = os.urandom(2048), 0
        self._id_next = at + 2
        return (self._id_pool[at] << 8) | self._id_pool[at + 1]

    def _udp_send(self, query: InFlight) -> None:
        number = self._udp_socket(query.server)
        while True:
            qid = self._new_id()
            if (number, qid) not in self._waiting:
                break
        query.key = (number, qid)
        self._waiting[query.key] = query
        query.ignored_from = self._ignored[number]
        query.ignored_at_send = query.ignored_from.snapshot()
        try:
            self._udp[number].send(qid.to_bytes(2, "big") + query.message[2:])
        except BlockingIOError:
            pass  # the send buffer is full: treat it as a lost datagram, the timer retries
        except ConnectionRefusedError:
            self._refused(number)

    def _refused(self, number: int) -> None:
        """ICMP port unreachable: nobody listens there, so every query on it fails now."""
        address, port = self._udp_server[number]
        for key, query in list(self._waiting.items()):
            if key[0] == number and self._waiting.get(key) is query:
                del self._waiting[key]
                query.key = None
                self._retry_or_fail(query, f"connection refused by {address}#{port} (UDP)")

    def _drain_udp(self, number: int) -> None:
        sock = self._udp[number]
        buffer = self._buffer
        view = self._view
        ignored = self._ignored[number]
        while True:
            try:
                size = sock.recv_into(buffer)
            except BlockingIOError:
                return
            except ConnectionRefusedError:
                self._refused(number)
                continue
            received = time.monotonic()
            if size < 12:
                ignored.malformed += 1
                continue
            qid, flags = _ID_FLAGS.unpack_from(buffer)
            wire = view[:size].tobytes()
            key = (number, qid)
            query = self._waiting.get(key)
            if query is None:
                if _reply_shaped(wire):
                    ignored.wrong_id += 1
                else:
                    ignored.malformed += 1
                continue
            if not flags & FLAG_QR:
                ignored.malformed += 1
                continue
            if not self._same_question(query, wire):
                if _reply_shaped(wire):
                    query.ignored[1] += 1
                else:
                    ignored.malformed += 1
                continue
            if flags & FLAG_TC:
                self._truncated(query)
                continue
            try:
                reply = parse_reply(wire, answers_only=self.answers_only, asked=_asked(query, wire))
            except MalformedReplyError:
                ignored.malformed += 1
                continue
            del self._waiting[key]
            query.key = None
            if reply.rcode == "FORMERR" and reply.edns is None and self._drop_edns(query):
                continue
            self._finish(query, reply, received=received)

    def _drop_edns(self, query: InFlight) -> bool:
        """Ask once more without EDNS, as dig does, if the server did not understand it."""
        plain = without_edns(query.message)
        if plain is None:
            return False
        query.message = plain
        query.attempt += 1
        self._arm_timer(query)
        self._udp_send(query)
        return True

    @staticmethod
    def _same_question(query: InFlight, wire: bytes) -> bool:
        end = query.question_end
        sent = query.message
        # One question, the same name ignoring ASCII case (RFC 4343), the same type and class.
        return (
            wire[4:6] == b"\x00\x01"
            and wire[12 : end - 4].lower() == sent[12 : end - 4].lower()
            and wire[end - 4 : end] == sent[end - 4 : end]
        )

    def _truncated(self, query: InFlight) -> None:
        assert query.key is not None
        del self._waiting[query.key]
        query.key = None
        query.truncated = True
        query.transport = "tcp"
        query.attempt += 1
        # Ask the same server again, over TCP, within the same try.
        self._arm_timer(query)
        self._tcp_send(query)

    # -- TCP ------------------------------------------------------------------------------------

    def _channel(self, server: Server) -> TcpChannel:
        """A connection to server: a new one while there are fewer than a few, else the next."""
        channels = self._channels.setdefault(server, [])
        if len(channels) < _CHANNELS_PER_SERVER and len(channels) < self.window:
            channel = TcpChannel(server, IgnoredReplies())  # OSError if refused at once
            self._selector.register(channel.sock, selectors.EVENT_WRITE, channel)
            channels.append(channel)
            return channel
        self._next_channel += 1
        return channels[self._next_channel % len(channels)]

    def _tcp_send(self, query: InFlight) -> None:
        try:
            channel = self._channel(query.server)
        except OSError as error:
            self._tcp_failed(query, error.strerror or str(error))
            return
        while True:
            qid = self._new_id()
            if qid not in channel.waiting:
                break
        channel.waiting[qid] = query
        query.tcp, query.tcp_id = channel, qid
        query.ignored_from = channel.ignored
        query.ignored_at_send = channel.ignored.snapshot()
        channel.queue(qid.to_bytes(2, "big") + query.message[2:])
        self._selector.modify(channel.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, channel)

    def _tcp_failed(self, query: InFlight, reason: str) -> None:
        address, port = query.server
        how = "reply truncated over UDP; TCP" if query.truncated else "TCP"
        self._retry_or_fail(query, f"{how} to {address}#{port}: {reason}")

    def _retire(self, channel: TcpChannel) -> None:
        """A query timed out on this connection: give it no more, close it once it is idle."""
        if not channel.retired:
            channel.retired = True
            self._channels[channel.server].remove(channel)
        if not channel.waiting:
            self._selector.unregister(channel.sock)
            channel.close()

    def _channel_lost(self, channel: TcpChannel, reason: str) -> None:
        """The connection failed or the server closed it: its queries go elsewhere."""
        self._selector.unregister(channel.sock)
        channel.close()
        if not channel.retired:
            channel.retired = True
            self._channels[channel.server].remove(channel)
        reason += _ignored_text(*channel.ignored.snapshot())
        waiting = list(channel.waiting.values())
        channel.waiting.clear()
        for query in waiting:
            query.tcp = None
            query.ignored_from = None
            if channel.answered:
                # A server may close a connection it has served (RFC 7766 section 6.2.3):
                # ask again on a new one, within the same try.
                query.attempt += 1
                self._arm_timer(query)
                self._tcp_send(query)
            else:
                self._tcp_failed(query, reason)

    def _tcp_ready(self, channel: TcpChannel, mask: int) -> None:
        try:
            if mask & selectors.EVENT_WRITE:
                channel.flush()
            replies = channel.receive() if mask & selectors.EVENT_READ else []
            received = time.monotonic()
        except OSError as error:
            self._channel_lost(channel, error.strerror or str(error))
            return
        if replies is None:
            self._channel_lost(channel, "the server closed the connection before replying")
            return
        for wire in replies:
            self._tcp_reply(channel, wire, received)
        if channel.sock.fileno() >= 0:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if channel.outgoing else 0)
            self._selector.modify(channel.sock, events, channel)

    def _tcp_reply(self, channel: TcpChannel, wire: bytes, received: float) -> None:
        # Replies may come in any order (RFC 7766 section 6.2.1.1): the id says whose it is.
        ignored = channel.ignored
        if len(wire) < 12 or not wire[2] & 0x80:
            ignored.malformed += 1
            return
        query = channel.waiting.get(int.from_bytes(wire[:2], "big"))
        if query is None:
            ignored.wrong_id += 1  # or a late reply to a query that timed out
            return
        if not self._same_question(query, wire):
            ignored.wrong_question += 1
            return
        try:
            reply = parse_reply(wire, answers_only=self.answers_only, asked=_asked(query, wire))
        except MalformedReplyError:
            ignored.malformed += 1
            return
        del channel.waiting[query.tcp_id]
        channel.answered += 1
        query.tcp = None
        self._finish(query, reply, received=received)
        if channel.retired and not channel.waiting:
            self._retire(channel)  # closes it
