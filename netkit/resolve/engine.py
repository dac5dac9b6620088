"""The query engine: many DNS queries over few sockets in one selector loop.

One asyncio task and one socket per query spends its time creating sockets and scheduling
callbacks. Here a handful of connected UDP sockets per server carry a window of queries in
flight; each readable socket is drained until EAGAIN, and a reply is matched to its query by
(socket, id) and then by question (RFC 5452 section 9.1), so stray, spoofed or garbled replies
are counted and ignored rather than accepted. Timeouts live in one ordered queue (every try
waits the same time). A truncated reply (TC) moves its query to TCP (RFC 7766 section 5), and
--tcp sends every query that way: over a few non-blocking connections per server in the same
loop, queries pipelined and replies matched by id in any order (RFC 7766 section 6.2.1).

A batch streams: queries are taken from the input as the window has room, and results leave in
input order as soon as every earlier one is out. Finished results wait for their turn in a
reorder window, and no query is taken more than that many places ahead of the oldest one not
yet out, so memory stays flat however long the input is; a query that times out holds the
queries behind it back by at most the window.

With several servers, ServerChoice (inflight.py) says where each try goes and when a server
that stopped answering is set aside; the engine moves the queries waiting on it. With --rate,
every try waits for its turn, paced one by one.
"""

import os
import selectors
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar, TypeVar

from netkit.resolve.inflight import (
    Channel,
    Exchange,
    InFlight,
    RetryPolicy,
    Server,
    ServerChoice,
    reply_shaped,
)
from netkit.resolve.tcp import CLOSED_BY_SERVER, TcpChannel
from netkit.resolve.udp import UdpChannel
from netkit.resolve.wire import FLAG_QR, FLAG_TC, MalformedReplyError, Reply, parse_reply

# UDP sockets (source ports spread without a socket per query) or TCP connections (queries
# pipelined on each) per server.
_CHANNELS_PER_SERVER = 4

AnyChannel = TypeVar("AnyChannel", UdpChannel, TcpChannel)

# Results held for their turn in input order: queries are taken at most this many places ahead
# of the oldest one not yet out (or 16 windows in flight, when that is more).
REORDER_WINDOW = 4096

# A message to send and its question name as text (None when the replies should spell it: a
# name not spelled as presented, see wire.spelled_as_presented), or no message: a place in the
# order whose result the caller already has (an invalid name).
Item = tuple[bytes | None, str | None]


_SKIPPED = Exchange(None, ("", 0), "", 0.0, 0, "no query")  # marks an item without a message


class QueryEngine:
    """Send prepared query messages to servers and collect the replies in input order.

    One engine makes one run: run() closes its sockets when it returns. The protocol decisions
    (which server, how many tries, whether a reply matches) are the query's and the policy's,
    in inflight.py; the engine waits, reads and writes.
    """

    # resolve --dns --explain: narrates what the selector asks of the kernel (None: nothing).
    watch_selector: ClassVar[Callable[[selectors.BaseSelector], None] | None] = None

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        window: int,
        tcp: bool = False,
        answers_only: bool = False,
        rate: float | None = None,
        choice: ServerChoice | None = None,
    ) -> None:
        if not policy.servers:
            raise ValueError("no servers")
        self.policy = policy
        self.window = max(1, window)
        self.reorder = max(REORDER_WINDOW, 16 * self.window)
        # A caller that runs several engines one after the other on the same servers (a worker
        # process of a bulk batch, a chunk at a time) passes its own choice, so that a server
        # set aside stays aside from one engine to the next instead of costing each a timeout.
        self._choice = ServerChoice(policy.servers) if choice is None else choice
        # --rate: tries (first ones and retries) go out at most this many a second, paced one
        # by one; a try that must wait for its turn waits in _queued.
        self._interval = 1.0 / rate if rate else 0.0
        self._next_turn = 0.0
        self._queued: deque[InFlight] = deque()
        self.tcp = tcp
        self.answers_only = answers_only  # see parse_reply
        self._selector = selectors.DefaultSelector()
        if QueryEngine.watch_selector is not None:  # resolve --dns --explain
            QueryEngine.watch_selector(self._selector)
        self._udp: dict[Server, list[UdpChannel]] = {}
        self._tcp: dict[Server, list[TcpChannel]] = {}
        self._rotation = 0  # which of a server's channels takes the next query
        self._udp_full = min(_CHANNELS_PER_SERVER, self.window)  # UDP sockets a server gets
        # Every try waits the same timeout, so deadlines come in send order: a dict, which
        # keeps insertion order (query -> deadline; a new send takes its query out and puts it
        # back at the end), is the timer queue, a FIFO from which an answered query leaves at
        # once. A FIFO with stale entries skipped at their deadline would hold every answered
        # query for a timeout: memory that grows with the rate, and a batch's peak with its
        # length. A plain dict rather than an OrderedDict: its pop and insert cost half.
        self._timers: dict[InFlight, float] = {}
        self._timeout = policy.timeout
        self._held: dict[int, Exchange] = {}  # finished, waiting for their turn
        # UDP tries of this turn of the loop, sent together by _flush: a query, its channel,
        # its id there, and the datagram.
        self._outbox: list[tuple[InFlight, UdpChannel, int, bytes]] = []
        self._in_flight = 0
        self._buffer = bytearray(65535)  # the largest UDP payload: one allocation for the run
        self._view = memoryview(self._buffer)
        # Unpredictable ids (RFC 5452 section 9.2), drawn from the kernel 1,024 at a time,
        # read as 16-bit numbers (memoryview.cast: no shifting and or-ing per id).
        self._id_pool = memoryview(b"").cast("H")
        self._id_next = 0

    # -- the loop -------------------------------------------------------------------------------

    def stream(self, items: Iterable[Item]) -> Iterator[Exchange | None]:  # noqa: PLR0912, PLR0915  # the event loop: a branch per readiness case
        """Exchange the message of every item, taken as there is room; yield the results in
        the order of items (None for an item without a message), each once all before it are
        out. Closing the generator early closes the sockets."""
        source = iter(items)
        held = self._held
        transport = "tcp" if self.tcp else "udp"
        taken = 0  # items taken from source
        out = 0  # results yielded
        exhausted = False
        window, reorder, paced = self.window, self.reorder, bool(self._interval)
        choice = self._choice
        try:
            while True:
                while self._queued and self._turn():
                    self._new_try(self._queued.popleft())
                while (
                    not exhausted
                    and self._in_flight < window
                    and taken - out < reorder
                    and (not paced or self._turn())
                ):
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                        break
                    message, qname = item
                    if message is None:
                        held[taken] = _SKIPPED
                    else:
                        self._in_flight += 1
                        query = InFlight(taken, message, qname, transport)
                        now = time.monotonic()  # _new_try, written out: once a query
                        query.next_try(choice.pick(query, now))
                        self._send(query, now)
                    taken += 1
                self._flush()
                while out in held:
                    exchange = held.pop(out)
                    out += 1
                    yield None if exchange is _SKIPPED else exchange
                if exhausted and out == taken:
                    return
                room = not exhausted and self._in_flight < window and taken - out < reorder
                if room and not self._interval:
                    continue  # room again: take more before waiting
                wait = None
                if self._timers:
                    wait = max(0.0, next(iter(self._timers.values())) - time.monotonic())
                if self._interval and (room or self._queued):
                    turn = max(0.0, self._next_turn - time.monotonic())
                    wait = turn if wait is None else min(wait, turn)
                for key, mask in self._selector.select(wait):
                    if isinstance(key.data, UdpChannel):
                        self._drain_udp(key.data)
                    else:
                        self._tcp_ready(key.data, mask)
                self._expire(time.monotonic())
        finally:
            self.close()

    def close(self) -> None:
        for key in list(self._selector.get_map().values()):
            key.data.close()
        self._selector.close()

    def _turn(self) -> bool:
        """Whether a try may go out now under --rate (taking the turn if so)."""
        if not self._interval:
            return True
        now = time.monotonic()
        if now < self._next_turn:
            return False
        # A turn missed by less than 50 ms may still be taken (the loop wakes up late), so the
        # rate holds over a second without bursts above it.
        self._next_turn = max(self._next_turn, now - 0.05) + self._interval
        return True

    def _new_try(self, query: InFlight) -> None:
        now = time.monotonic()
        query.next_try(self._choice.pick(query, now))
        self._send(query, now)

    def _try_again(self, query: InFlight) -> None:
        """Another try now, or when its turn comes under --rate."""
        if self._interval:
            self._queued.append(query)
        else:
            self._new_try(query)

    def _send(self, query: InFlight, now: float | None = None) -> None:
        """Send the query to its server over its transport, under a new id, with a new timer.

        A new try, and asking again within a try (over TCP after truncation, without EDNS, on a
        new connection when the server closed one it had served), all go out through here.
        Over UDP the datagram goes out with the rest of the loop's turn (_flush).
        """
        if query.transport == "tcp":
            self._start_timer(query, time.monotonic() if now is None else now)
            self._tcp_send(query)
            return
        # UDP, written out here: once a query.
        channels = self._udp.get(query.server)
        if channels is not None and len(channels) == self._udp_full:
            self._rotation += 1  # the usual send, once a server's sockets are open
            channel = channels[self._rotation % len(channels)]
        else:
            channel = self._channel(self._udp, query.server, UdpChannel, selectors.EVENT_READ)
        outgoing = self._wait_on(query, channel)
        self._outbox.append((query, channel, query.qid, outgoing))

    def _start_timer(self, query: InFlight, now: float) -> None:
        # The timer starts before the send: a send that fails at once makes it stale.
        query.start_clock(now)
        timers = self._timers
        timers.pop(query, None)  # a send within the same try: its new timer goes to the end
        timers[query] = now + self._timeout

    def _flush(self) -> None:
        """Send the UDP tries of this turn of the loop back to back.

        The server answers a query faster than the loop prepares the next one, so datagrams
        sent as each is prepared would each find it asleep, and each send would pay for waking
        it (an inter-processor interrupt, dear in a virtual machine) and it for waking up. Sent
        together, they wake it once, and it reads them together (NSD: recvmmsg).
        """
        outbox = self._outbox
        sent = 0
        while sent < len(outbox):  # a refusal below may retry queries: they join the end
            query, channel, qid, outgoing = outbox[sent]
            sent += 1
            if query.channel is not channel or query.qid != qid:
                continue  # it stopped waiting there before it went out (its server was set aside)
            # Each its own time: a query's time is its reply's, not its turn's.
            self._start_timer(query, time.monotonic())
            try:
                channel.sock.send(outgoing)
            except BlockingIOError:
                pass  # the send buffer is full: treat it as a lost datagram, the timer retries
            except ConnectionRefusedError:
                self._refused(channel)
        outbox.clear()

    def _finish(
        self, query: InFlight, reply: Reply | None, error: str | None, received: float
    ) -> None:
        # The clock stops when the reply arrived, not after decoding it: the first record of a
        # type makes dnspython import its module, which is no part of the server's time.
        self._held[query.index] = query.outcome(reply, error, received)
        self._timers.pop(query, None)
        self._in_flight -= 1
        if reply is not None:
            self._choice.answered(query)

    def _retry_or_fail(self, query: InFlight, error: str) -> None:
        if self._choice.ask_elsewhere(query):
            query.forgive_try()
            self._try_again(query)
        elif self.policy.another_try(query):
            self._try_again(query)
        else:
            self._finish(query, None, error, time.monotonic())

    def _server_silent(self, server: Server, now: float, *, refused: bool = False) -> None:
        """A try to server went unanswered: when that sets the server aside, the queries
        waiting on it are asked elsewhere at once rather than each waiting out its timeout."""
        if not self._choice.silent(server, now, refused=refused):
            return
        for channel in [*self._udp.get(server, ()), *self._tcp.get(server, ())]:
            for query in list(channel.waiting.values()):
                if self._choice.ask_elsewhere(query):
                    query.stop_waiting()
                    self._timers.pop(query, None)
                    query.forgive_try()
                    self._try_again(query)
            if isinstance(channel, TcpChannel):
                self._retire(channel)

    def _expire(self, now: float) -> None:
        timers = self._timers
        while timers:
            query, deadline = next(iter(timers.items()))
            if deadline > now:
                return
            del timers[query]
            channel = query.time_out()
            if isinstance(channel, TcpChannel):
                self._retire(channel)
            self._server_silent(query.server, now)
            self._retry_or_fail(query, self.policy.timeout_message(query))

    # -- channels -------------------------------------------------------------------------------

    def _channel(
        self,
        pool: dict[Server, list[AnyChannel]],
        server: Server,
        open_channel: Callable[[Server], AnyChannel],
        events: int,
    ) -> AnyChannel:
        """A channel to server: a new one while there are fewer than a few, else the next."""
        channels = pool.setdefault(server, [])
        if len(channels) < _CHANNELS_PER_SERVER and len(channels) < self.window:
            channel = open_channel(server)  # OSError if the kernel refuses at once
            self._selector.register(channel.sock, events, channel)
            channels.append(channel)
            return channel
        self._rotation += 1
        return channels[self._rotation % len(channels)]

    def _wait_on(self, query: InFlight, channel: Channel) -> bytes:
        """Wait on channel under an id no other query there has; returns the message as it
        goes on the wire."""
        waiting = channel.waiting
        pool, at = self._id_pool, self._id_next
        while True:
            if at >= len(pool):
                pool, at = memoryview(os.urandom(2048)).cast("H"), 0
                self._id_pool = pool
            qid = pool[at]
            at += 1
            if qid not in waiting:
                self._id_next = at
                return query.wait_on(channel, qid)

    def _parse(
        self, channel: Channel, wire: bytes, question: tuple[str, int] | bool
    ) -> Reply | None:
        """The reply decoded, or None (and counted) when it is malformed. question is what
        InFlight.question_in said of it (a tuple: the decoder's shortcut)."""
        try:
            asked = question if isinstance(question, tuple) else None
            return parse_reply(wire, answers_only=self.answers_only, asked=asked)
        except MalformedReplyError:
            channel.ignored.malformed += 1
            return None

    # -- UDP ------------------------------------------------------------------------------------

    def _refused(self, channel: UdpChannel) -> None:
        """ICMP port unreachable: nobody listens there, so every query on it fails now (or,
        with other servers, is asked elsewhere)."""
        self._server_silent(channel.server, time.monotonic(), refused=True)
        address, port = channel.server
        for qid, query in list(channel.waiting.items()):
            # A retry below may meet the refusal first and fail the rest: skip what it took.
            if channel.waiting.get(qid) is query:
                query.stop_waiting()
                self._retry_or_fail(query, f"connection refused by {address}#{port} (UDP)")

    def _drain_udp(self, channel: UdpChannel) -> None:
        sock = channel.sock
        buffer = self._buffer
        view = self._view
        waiting = channel.waiting
        answers_only = self.answers_only
        while True:
            try:
                size = sock.recv_into(buffer)
            except BlockingIOError:
                return
            except ConnectionRefusedError:
                self._refused(channel)
                continue
            received = time.monotonic()
            if size < 12:
                channel.ignored.malformed += 1
                continue
            wire = view[:size].tobytes()
            # The usual reply, taken here in full: a response (QR) not truncated (TC), to its
            # query's question, decoded, not FORMERR. It is _udp_reply's first case, without
            # the calls between (a batch spends about 13 us of CPU a query, and each call
            # saved here is a hundredth of it); any other reply goes to _udp_reply.
            query = waiting.get((wire[0] << 8) | wire[1])
            if query is not None and wire[2] & 0x82 == 0x80:
                question = query.question_in(wire)
                if question:
                    try:
                        asked = question if isinstance(question, tuple) else None
                        reply = parse_reply(wire, answers_only=answers_only, asked=asked)
                    except MalformedReplyError:
                        channel.ignored.malformed += 1
                        continue
                    if reply.rcode != "FORMERR":
                        query.stop_waiting()
                        self._finish(query, reply, None, received)
                        continue
            self._udp_reply(channel, wire, received)

    def _udp_reply(self, channel: UdpChannel, wire: bytes, received: float) -> None:
        query = channel.waiting.get((wire[0] << 8) | wire[1])
        flags = (wire[2] << 8) | wire[3]
        if query is None or not flags & FLAG_QR:
            channel.ignored.stray(wire)
            return
        question = query.question_in(wire)
        if not question:
            # Its (socket, id) says whose it is: a DNS reply is charged to that query alone.
            if reply_shaped(wire):
                query.ignored_replies().wrong_question += 1
            else:
                channel.ignored.malformed += 1
            return
        if flags & FLAG_TC:
            query.stop_waiting()
            query.move_to_tcp()
            self._send(query)  # the same server again, over TCP, within the same try
            return
        reply = self._parse(channel, wire, question)
        if reply is None:
            return
        query.stop_waiting()
        # FORMERR without OPT: the server does not understand EDNS (RFC 6891 section 7).
        if reply.rcode == "FORMERR" and reply.edns is None and query.drop_edns():
            self._send(query)
            return
        self._finish(query, reply, None, received)

    # -- TCP ------------------------------------------------------------------------------------

    def _tcp_send(self, query: InFlight) -> None:
        try:
            channel = self._channel(self._tcp, query.server, TcpChannel, selectors.EVENT_WRITE)
        except OSError as error:
            self._tcp_failed(query, error.strerror or str(error))
            return
        channel.queue(self._wait_on(query, channel))
        self._selector.modify(channel.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, channel)

    def _tcp_failed(self, query: InFlight, reason: str) -> None:
        address, port = query.server
        how = "reply truncated over UDP; TCP" if query.truncated else "TCP"
        self._retry_or_fail(query, f"{how} to {address}#{port}: {reason}")

    def _stop_using(self, channel: TcpChannel) -> None:
        """Give the connection no more queries."""
        if not channel.retired:
            channel.retired = True
            self._tcp[channel.server].remove(channel)

    def _retire(self, channel: TcpChannel) -> None:
        """A query timed out on this connection: give it no more, close it once it is idle."""
        self._stop_using(channel)
        if not channel.waiting:
            self._selector.unregister(channel.sock)
            channel.close()

    def _channel_lost(self, channel: TcpChannel, reason: str) -> None:
        """The connection failed or the server closed it: its queries go elsewhere."""
        self._selector.unregister(channel.sock)
        channel.close()
        self._stop_using(channel)
        reason += channel.ignored.described()
        for query in list(channel.waiting.values()):
            query.stop_waiting()
            if channel.answered:
                # A server may close a connection it has served (RFC 7766 section 6.2.3):
                # ask again on a new one, within the same try.
                self._send(query)
            else:
                self._tcp_failed(query, reason)

    def _tcp_ready(self, channel: TcpChannel, mask: int) -> None:
        replies, over = channel.exchange(mask)
        received = time.monotonic()
        for wire in replies:
            self._tcp_reply(channel, wire, received)
        if channel.sock.fileno() < 0:
            return  # retired, and its last reply came: closed
        if over is not None:
            reason = f"{over} before replying" if over is CLOSED_BY_SERVER else over
            self._channel_lost(channel, reason)
            return
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
        question = query.question_in(wire)
        if not question:
            ignored.wrong_question += 1
            return
        reply = self._parse(channel, wire, question)
        if reply is None:
            return
        query.stop_waiting()
        channel.answered += 1
        self._finish(query, reply, None, received)
        if channel.retired and not channel.waiting:
            self._retire(channel)  # closes it
