"""One-way throughput and round-trip latency between a parent and a forked child, per channel.

Measured the way ipcbench.c measures it: the child writes TOTAL bytes in SIZE-byte writes and the
parent reads them into a 1 MiB buffer, timed until the last byte; SIZE-byte ping-pongs the child
echoes give the round-trip times. Two differences. The round trips come first, on the fresh
channel: after a bulk transfer TCP loopback round trips run about 3x slower for a few thousand
exchanges, which ipcbench.c's fixed 20000 hides but a time-bounded run would not. The throughput
clock starts when the parent ends the echoes (the child's cue to write), not at fork(). And every
byte is checked: the stream is a fixed pattern (the byte at offset i is i % 251), so a lost,
repeated, reordered or altered byte is caught by one memcmp per read (bytes.startswith) against a
pattern precomputed before fork().
"""

import struct
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from netkit.errors import NetkitError
from netkit.ipc.channels import DATAGRAM_KINDS, MAX_DATAGRAM, Channel, End, Write, open_channel
from netkit.ipc.child import Child, Mailbox, forked

SIZES = (64, 256, 1024, 4096, 16384, 65536, 262144, 1048576)
MIB = 1 << 20
READ_BUFFER = MIB  # what ipcbench.c reads into
PERIOD = 251  # a prime: no power-of-two message size lines up with the pattern
_SEQ = struct.Struct("=Q")  # datagrams carry their sequence number in their first 8 bytes
_DATAGRAM_SILENCE = 0.5  # seconds without a datagram that end a UDP run whose end marker was lost
_ROUND_TRIP_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class BenchSettings:
    total_bytes: int | None = None  # per throughput run; None picks by size (see total_for)
    max_round_trips: int = 20000  # as ipcbench.c, but also bounded by round_trip_seconds
    round_trip_seconds: float = 0.25
    inject_corruption: bool = False  # test hook: the child alters one byte it sends

    def total_for(self, size: int) -> int:
        """Whole messages: 65536 of them, at most 256 MiB (about 0.1 s per run either way)."""
        total = self.total_bytes if self.total_bytes is not None else min(size * 65536, 256 * MIB)
        return max(size, total - total % size)


@dataclass(frozen=True, slots=True)
class BenchResult:
    """One channel at one message size."""

    kind: str  # pipe, socketpair, unix, tcp, udp, unix-dgram
    size: int  # bytes per write and per round trip
    mibps: float  # one-way throughput, child to parent, MiB/s of verified data
    bytes: int  # bytes the parent received and checked
    seconds: float
    lost: int  # datagrams UDP dropped (the streams and Unix datagrams never lose any)
    round_trips: int
    rtt_p50_us: float
    rtt_p99_us: float
    verified: bool  # every byte compared with what was sent (a mismatch is an error instead)


def fits(kind: str, size: int) -> bool:
    """Whether one message of this size is possible on this kind of channel."""
    if kind in DATAGRAM_KINDS:
        return _SEQ.size <= size <= MAX_DATAGRAM[kind]
    return size > 0


def datagram_sizes(kind: str) -> tuple[int, int]:
    """The smallest and largest message a datagram kind carries here (its sequence number
    needs the first 8 bytes)."""
    return _SEQ.size, MAX_DATAGRAM[kind]


class _Pattern:
    """The stream's bytes, precomputed: a view for each place a message can start, and what a
    read of up to READ_BUFFER bytes must equal from any offset."""

    def __init__(self, size: int) -> None:
        cycle = bytes(range(PERIOD))
        length = max(size, READ_BUFFER) + PERIOD
        self.expected = (cycle * (length // PERIOD + 1))[:length]
        view = memoryview(self.expected)
        self.messages = [view[offset : offset + size] for offset in range(PERIOD)]


def _write_all(write: Write, data: memoryview) -> None:
    while data:
        data = data[write(data) :]


# -- the child's side -------------------------------------------------------------------------


def _send_messages(
    write: Write, messages: list[memoryview], size: int, offset: int, count: int
) -> int:
    """The hot loop: ``count`` writes of precomputed views, nothing allocated. Returns where the
    stream's pattern continues."""
    for _ in range(count):
        message = messages[offset]
        sent = write(message)
        if sent != size:  # a signal can cut a blocking write short
            _write_all(write, message[sent:])
        offset = (offset + size) % PERIOD
    return offset


def _send_stream(end: End, pattern: _Pattern, size: int, count: int, corrupt: bool) -> None:
    if not corrupt:
        _send_messages(end.write, pattern.messages, size, 0, count)
        return
    half = count // 2
    offset = _send_messages(end.write, pattern.messages, size, 0, half)
    altered = bytearray(pattern.messages[offset])
    altered[size // 2] ^= 0xFF
    _write_all(end.write, memoryview(altered))
    _send_messages(end.write, pattern.messages, size, (offset + size) % PERIOD, count - half - 1)


def _echo_stream(end: End, size: int) -> None:
    read_into, write = end.read_into, end.write
    view = memoryview(bytearray(size))
    while True:
        got = 0
        while got < size:
            n = read_into(view[got:])
            if not n:
                if got:
                    raise NetkitError("the parent stopped in the middle of a message")
                return
            got += n
        _write_all(write, view)


def _send_datagrams(end: End, pattern: _Pattern, size: int, count: int, corrupt: bool) -> None:
    write, pack_into = end.write, _SEQ.pack_into
    message = bytearray(pattern.messages[0])
    view = memoryview(message)
    altered = 0 if corrupt else -1  # the first: UDP may drop any later one
    for seq in range(count):
        pack_into(message, 0, seq)
        if seq == altered:
            message[size // 2] ^= 0xFF
        write(view)
        if seq == altered:
            message[size // 2] ^= 0xFF


def _echo_datagrams(end: End, size: int) -> None:
    read_into, write = end.read_into, end.write
    view = memoryview(bytearray(size + 1))
    while n := read_into(view):  # an empty datagram is the parent's end marker
        write(view[:n])


def _child_main(
    channel: Channel, pattern: _Pattern, size: int, count: int, corrupt: bool
) -> Callable[[Mailbox], int]:
    def main(mailbox: Mailbox) -> int:
        channel.parent.close()
        end = channel.child
        if channel.kind in DATAGRAM_KINDS:
            _echo_datagrams(end, size)
            _send_datagrams(end, pattern, size, count, corrupt)
            end.finish_writing()
        else:
            _echo_stream(end, size)
            _send_stream(end, pattern, size, count, corrupt)
        return 0

    return main


# -- the parent's side ------------------------------------------------------------------------


class _Receiver:
    """The parent's end of one run, with its preallocated buffer and the expected pattern."""

    def __init__(self, kind: str, size: int, end: End, pattern: _Pattern) -> None:
        self.kind, self.size, self.end, self.pattern = kind, size, end, pattern
        self.buffer = bytearray(max(READ_BUFFER, size))
        self.view = memoryview(self.buffer)

    def mismatch(self, offset: int, got: memoryview, expected: bytes) -> NetkitError:
        for index, byte in enumerate(got):
            if byte != expected[index]:
                where = f"byte {offset + index} is 0x{byte:02x}, expected 0x{expected[index]:02x}"
                break
        else:
            where = f"near byte {offset}"
        return NetkitError(f"data check failed on {self.kind} at {self.size} B messages: {where}")

    def stream(self, total: int) -> int:
        """The hot loop: read into the buffer, one memcmp against the pattern per read."""
        read_into, view, check = self.end.read_into, self.view, self.pattern.expected.startswith
        got = 0
        while got < total:
            n = read_into(view)
            if not n:
                raise EOFError(f"after {got} of {total} bytes")
            if not check(view[:n], got % PERIOD):
                start = got % PERIOD
                raise self.mismatch(got, view[:n], self.pattern.expected[start : start + n])
            got += n
        return got

    def expect_end(self) -> None:
        """EOF after the last byte: a byte sent twice would otherwise go unnoticed."""
        if self.end.read_into(self.view):
            raise NetkitError(
                f"data check failed on {self.kind} at {self.size} B messages: "
                "more bytes arrived than were sent"
            )

    def datagrams(self, count: int) -> tuple[int, int, float]:
        """(datagrams received, datagrams lost, perf_counter() of the last one)."""
        read_into, view, unpack_from = self.end.read_into, self.view, _SEQ.unpack_from
        body = self.pattern.messages[0][_SEQ.size :]
        check = self.buffer.startswith
        self.end.set_receive_timeout(_DATAGRAM_SILENCE)
        received = lost = next_seq = 0
        last = time.perf_counter()
        while True:
            try:
                n = read_into(view)
            except BlockingIOError:  # SO_RCVTIMEO: silence, the end marker itself was dropped
                break
            if not n:
                break
            last = time.perf_counter()
            if n != self.size or not check(body, _SEQ.size):
                offset = received * self.size + _SEQ.size
                raise self.mismatch(offset, view[_SEQ.size : n], bytes(body))
            (seq,) = unpack_from(view)
            if seq < next_seq or seq >= count:
                raise NetkitError(
                    f"data check failed on {self.kind}: datagram {seq} after {next_seq - 1}"
                )
            lost += seq - next_seq
            next_seq = seq + 1
            received += 1
        return received, lost + count - next_seq, last

    def round_trips(self, settings: BenchSettings) -> "array[int]":
        """Ping-pongs of one message, timed in nanoseconds, until the count or time runs out."""
        size, read_into, write = self.size, self.end.read_into, self.end.write
        datagrams = self.kind in DATAGRAM_KINDS
        message = bytearray(self.pattern.messages[0])
        sent, reply, check = memoryview(message), self.view[:size], self.buffer.startswith
        if datagrams:
            self.end.set_receive_timeout(_ROUND_TRIP_TIMEOUT)
        samples = array("q", bytes(8 * settings.max_round_trips))
        clock = time.perf_counter_ns
        deadline = clock() + int(settings.round_trip_seconds * 1e9)
        done = 0
        for index in range(settings.max_round_trips):
            if datagrams:
                _SEQ.pack_into(message, 0, index)
            start = clock()
            _write_all(write, sent)
            got = 0
            while got < size:
                try:
                    n = read_into(reply[got:])
                except BlockingIOError:
                    raise NetkitError(
                        f"a {self.kind} round trip got no answer in {_ROUND_TRIP_TIMEOUT:g} s"
                    ) from None
                if not n:
                    raise EOFError(f"in round trip {index}")
                got += n
            stop = clock()
            if not check(message):
                raise self.mismatch(index * size, reply, bytes(message))
            samples[index] = stop - start
            done = index + 1
            if stop > deadline:
                break
        return samples[:done]


def _percentile_us(sorted_ns: Sequence[int], fraction: float) -> float:
    if not sorted_ns:
        return 0.0
    return round(sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * fraction))] / 1000, 1)


def bench_channel(kind: str, size: int, settings: BenchSettings = BenchSettings()) -> BenchResult:
    """Throughput then round trips over one fresh channel of this kind, with one forked child."""
    datagrams = kind in DATAGRAM_KINDS
    total = settings.total_for(size)
    count = total // size
    pattern = _Pattern(size)
    channel = open_channel(kind)
    receiver = _Receiver(kind, size, channel.parent, pattern)
    main = _child_main(channel, pattern, size, count, settings.inject_corruption)
    try:
        with forked(main) as child:
            channel.child.close()
            try:
                samples = receiver.round_trips(settings)
                start = time.perf_counter()
                channel.parent.finish_writing()  # the end of the echoes: the child starts writing
                if datagrams:
                    received, lost, last = receiver.datagrams(count)
                    got, seconds = received * size, last - start
                else:
                    got = receiver.stream(total)
                    seconds = time.perf_counter() - start
                    receiver.expect_end()
            except (EOFError, BrokenPipeError, ConnectionResetError) as error:
                raise _child_failed(child, kind, size, error) from None
            ended = child.wait(timeout=10)
            if not ended.ok:
                raise _child_failed(child, kind, size, None)
    finally:
        channel.parent.close()
        channel.child.close()
    ordered = sorted(samples)
    return BenchResult(
        kind=kind,
        size=size,
        mibps=round(got / seconds / MIB, 1) if seconds > 0 else 0.0,
        bytes=got,
        seconds=round(seconds, 4),
        lost=lost if datagrams else 0,
        round_trips=len(ordered),
        rtt_p50_us=_percentile_us(ordered, 0.50),
        rtt_p99_us=_percentile_us(ordered, 0.99),
        verified=True,
    )


def _child_failed(
    child: Child, kind: str, size: int, error: BaseException | None
) -> NetkitError | BrokenPipeError:
    what = f"{kind} at {size} B messages"
    if isinstance(error, EOFError):
        what += f": the channel closed early ({error})"
    elif isinstance(error, OSError):
        what += f": {error.strerror}"
    return child.failure(what)


def run_bench(
    kinds: Sequence[str],
    sizes: Sequence[int],
    settings: BenchSettings = BenchSettings(),
    on_start: Callable[[str, int, int, int], None] | None = None,
) -> list[BenchResult]:
    """Every kind at every size it supports, size by size so the table reads as a comparison.

    ``on_start(kind, size, index, runs)`` is called before each run, for a progress display.
    """
    plan = [(kind, size) for size in sizes for kind in kinds if fits(kind, size)]
    results = []
    for index, (kind, size) in enumerate(plan):
        if on_start is not None:
            on_start(kind, size, index, len(plan))
        results.append(bench_channel(kind, size, settings))
    return results
