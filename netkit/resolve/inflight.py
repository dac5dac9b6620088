"""One query on its way through the batch engine, and the protocol rules it follows.

This is the engine's business logic apart from its sockets, as dnspython's _Resolution is apart
from the I/O schemes that share it: which server a try goes to and how many tries a query gets,
whether a reply answers the question that was asked (RFC 5452 section 9.1), and the count of
replies thrown away, so that a timeout can say what did arrive. engine.py moves the bytes;
udp.py and tcp.py hold the sockets and connections that queries wait on. Both import this
module and it imports neither.
"""

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from netkit.resolve.wire import MalformedReplyError, Reply, question_length, read_name, without_edns

Server = tuple[str, int]  # (address, port)
NO_REPLY = "no reply"  # how every timeout's message begins (a batch's summary counts them)


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
    """Replies thrown away, by why, so a timeout can say what did arrive."""

    __slots__ = ("malformed", "wrong_id", "wrong_question")

    def __init__(self) -> None:
        self.wrong_id = 0
        self.wrong_question = 0
        self.malformed = 0

    def since(self, earlier: tuple[int, int, int]) -> tuple[int, int, int]:
        """The counts added after earlier, the (wrong_id, wrong_question, malformed) of then."""
        return (
            self.wrong_id - earlier[0],
            self.wrong_question - earlier[1],
            self.malformed - earlier[2],
        )

    def add(self, counts: tuple[int, int, int]) -> None:
        self.wrong_id += counts[0]
        self.wrong_question += counts[1]
        self.malformed += counts[2]

    def stray(self, wire: bytes) -> None:
        """Count a reply that no query waits for: a wrong id if it looks like DNS, else junk."""
        if reply_shaped(wire):
            self.wrong_id += 1
        else:
            self.malformed += 1

    def described(self) -> str:
        """' (ignored replies: 2 malformed, 1 with the wrong id)', or nothing when none were."""
        counts = [
            f"{count} {what}"
            for count, what in (
                (self.malformed, "malformed"),
                (self.wrong_id, "with the wrong id"),
                (self.wrong_question, "for another question"),
            )
            if count
        ]
        return f" (ignored replies: {', '.join(counts)})" if counts else ""


def reply_shaped(wire: bytes) -> bool:
    """Whether a reply we cannot use at least looks like DNS (wrong id or question), or is junk."""
    if len(wire) < 12 or not wire[2] & 0x80 or wire[4:6] != b"\x00\x01":
        return False
    try:
        _name, end = read_name(wire, 12)
    except MalformedReplyError:
        return False
    return end + 4 <= len(wire)


class Channel:
    """A UDP socket or TCP connection to one server: the queries waiting on it, by id."""

    __slots__ = ("ignored", "server", "waiting")
    # What channels make their sockets of: resolve --dns --explain swaps in a narrating subclass.
    socket_class: ClassVar[type[socket.socket]] = socket.socket

    def __init__(self, server: Server) -> None:
        self.server = server
        self.waiting: dict[int, InFlight] = {}  # id -> query; changed by InFlight alone
        self.ignored = IgnoredReplies()  # replies on this channel that no query could take


class InFlight:
    """The state of one query while it is in flight, changed by its own methods alone.

    A plain class with slots: the engine makes one per query.
    """

    __slots__ = (
        "channel",
        "forgiven",
        "ignored",
        "ignored_at_send",
        "index",
        "message",
        "qid",
        "qname",
        "question_end",
        "sent_at",
        "server",
        "transport",
        "tries",
        "truncated",
    )

    def __init__(self, index: int, message: bytes, qname: str | None, transport: str) -> None:
        self.index = index  # its place among the results
        self.message = message  # with id 0; each send puts its own id in front of message[2:]
        if qname is not None:
            # A name spelled as presented has only printable octets in its labels: its first
            # zero octet is the root label's, found in C rather than label by label.
            self.question_end = message.index(0, 12) + 1 + 4
        else:
            self.question_end = 12 + question_length(message)
        # The question name as text, given when it is spelled as presented (see
        # wire.spelled_as_presented: printable octets alone), else None.
        self.qname = qname
        self.transport = transport  # "udp", or "tcp" (asked for, or after a truncated reply)
        self.truncated = False
        self.tries = 0
        self.forgiven = 0  # tries not counted because their server had stopped answering
        self.server: Server = ("", 0)
        self.sent_at = 0.0
        self.channel: Channel | None = None  # where it waits for its reply, under id qid
        self.qid = 0
        # Replies thrown away: counted here when they were surely for this query, and taken
        # from its channel's counts (since the send) when a try times out. Made when there
        # is one to count (see ignored_replies): most queries never have one.
        self.ignored: IgnoredReplies | None = None
        self.ignored_at_send = (0, 0, 0)

    # -- tries and the clock ----------------------------------------------------------------

    def next_try(self, server: Server) -> None:
        """A new try, to server (ServerChoice picks it)."""
        self.server = server
        self.tries += 1

    def forgive_try(self) -> None:
        """The try went to a server that has stopped answering: it does not count, and the
        query asks elsewhere (as many times as there are other servers, at most)."""
        self.tries -= 1
        self.forgiven += 1

    def start_clock(self, now: float) -> None:
        """A send starts now (the engine's timer for the query starts with it)."""
        self.sent_at = now

    def outcome(self, reply: Reply | None, error: str | None, received: float) -> Exchange:
        """How the query went, once it is over."""
        elapsed = received - self.sent_at
        return Exchange(reply, self.server, self.transport, elapsed, self.tries, error)

    # -- where it waits -----------------------------------------------------------------------

    def wait_on(self, channel: Channel, qid: int) -> bytes:
        """Wait on channel under qid; returns the message as this send puts it on the wire."""
        self.channel, self.qid = channel, qid
        channel.waiting[qid] = self
        ignored = channel.ignored  # its counts now, read inline: once a send
        self.ignored_at_send = (ignored.wrong_id, ignored.wrong_question, ignored.malformed)
        return qid.to_bytes(2, "big") + self.message[2:]

    def stop_waiting(self) -> None:
        """Leave the channel (a late reply is then ignored there); nothing when not waiting."""
        if self.channel is not None:
            self.channel.waiting.pop(self.qid, None)
            self.channel = None

    def time_out(self) -> Channel | None:
        """This try's time is up: stop waiting, and keep the count of the replies its channel
        threw away meanwhile. Returns the channel it waited on."""
        channel = self.channel
        if channel is not None:
            self.ignored_replies().add(channel.ignored.since(self.ignored_at_send))
            self.stop_waiting()
        return channel

    def ignored_replies(self) -> IgnoredReplies:
        """The replies thrown away that were this query's (made on first use)."""
        if self.ignored is None:
            self.ignored = IgnoredReplies()
        return self.ignored

    # -- asking again within the same try -------------------------------------------------------

    def move_to_tcp(self) -> None:
        """The reply was truncated: ask the same server over TCP (RFC 7766 section 5)."""
        self.truncated = True
        self.transport = "tcp"

    def drop_edns(self) -> bool:
        """Ask without EDNS from now on, as dig does; False when the query has none to drop."""
        plain = without_edns(self.message)
        if plain is None:
            return False
        self.message = plain
        return True

    # -- matching replies (RFC 5452 section 9.1) -----------------------------------------------

    def question_in(self, wire: bytes) -> tuple[str, int] | bool:
        """Whether the reply's question is this query's: one question, the same name ignoring
        ASCII case (RFC 4343), type and class. False when it is not; when it repeats the
        question exactly (case included) and the name is known, (name, end of question), so
        the decoder need not read the name again; True otherwise. One test for both: the
        engine asks it of every reply."""
        end = self.question_end
        sent = self.message
        if wire[4:6] != b"\x00\x01":
            return False
        if wire[12:end] == sent[12:end]:  # the usual reply: the question as sent
            return True if self.qname is None else (self.qname, end)
        return (
            wire[12 : end - 4].lower() == sent[12 : end - 4].lower()
            and wire[end - 4 : end] == sent[end - 4 : end]
        )


# A server with this many timeouts (or a refusal) in a row, and no reply between them, is set
# aside while others answer; it gets another query after SET_ASIDE_FOR seconds.
SET_ASIDE_AFTER = 8
SET_ASIDE_FOR = 10.0


class ServerChoice:
    """Which server a try goes to: queries spread over the servers for throughput (query i's
    first try to server i mod n, each retry to the next), and a server that stops answering is
    set aside while another answers, so its queries are asked elsewhere. Changed by its own
    methods alone, which the engine calls as replies and timeouts come."""

    __slots__ = ("_alone", "_answered_sent", "_aside_until", "_silent", "servers")

    def __init__(self, servers: Sequence[Server]) -> None:
        self.servers = tuple(servers)
        # One server is never set aside and its queries have nowhere else to go: a reply from
        # it need not be noted (answered() is called for every reply of a batch).
        self._alone = len(self.servers) == 1
        self._silent = dict.fromkeys(self.servers, 0)  # timeouts in a row, by server
        # By server: the send time of the latest-sent query it answered.
        self._answered_sent = dict.fromkeys(self.servers, float("-inf"))
        self._aside_until: dict[Server, float] = {}

    def pick(self, query: "InFlight", now: float) -> Server:
        servers = self.servers
        start = query.index + query.tries + query.forgiven  # every ask goes to the next
        if not self._aside_until:
            return servers[start % len(servers)]
        for step in range(len(servers)):
            server = servers[(start + step) % len(servers)]
            until = self._aside_until.get(server)
            if until is None:
                return server
            if now >= until:  # time to see whether it is back: one more timeout sets it aside
                del self._aside_until[server]
                return server
        return servers[start % len(servers)]  # every one set aside: ask as if none were

    def answered(self, query: "InFlight") -> None:
        if self._alone:
            return
        server = query.server
        self._silent[server] = 0
        self._answered_sent[server] = max(self._answered_sent[server], query.sent_at)

    def ask_elsewhere(self, query: "InFlight") -> bool:
        """Whether a try that went unanswered should not count, and the query go to another
        server: its server has answered no query sent after this one (it looks down, not the
        name slow), and another server is in use. A name that times out while its server
        answers queries sent after it is the name's own failure, and counts."""
        others = len(self.servers) - 1 - len(self._aside_until)
        return (
            query.forgiven < len(self.servers) - 1
            and (others > 0 or query.server in self._aside_until)
            and self._answered_sent[query.server] < query.sent_at
        )

    def silent(self, server: Server, now: float, *, refused: bool = False) -> bool:
        """A try to server timed out (or was refused): True when this sets it aside now."""
        self._silent[server] += SET_ASIDE_AFTER if refused else 1
        if self._silent[server] < SET_ASIDE_AFTER or server in self._aside_until:
            return False
        if len(self._aside_until) + 1 >= len(self.servers):
            return False  # the last one left: nowhere else to ask
        self._aside_until[server] = now + SET_ASIDE_FOR
        return True


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Where and how long to ask: every try waits timeout seconds, tries go round the servers."""

    servers: tuple[Server, ...]
    timeout: float
    tries: int  # in all, the first included

    def another_try(self, query: InFlight) -> bool:
        return query.tries < self.tries

    def timeout_message(self, query: InFlight) -> str:
        where = ", ".join(sorted({f"{address}#{port}" for address, port in self.servers}))
        over = " over TCP" if query.transport == "tcp" else ""
        tries = f"{query.tries} tries" if query.tries > 1 else "1 try"
        message = f"{NO_REPLY}{over} from {where} after {tries} of {self.timeout:g} s each"
        return message + query.ignored_replies().described()
