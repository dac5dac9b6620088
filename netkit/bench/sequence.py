"""UDP load: sequence numbers in the datagrams, and what the replies say about the path.

Every datagram starts with its socket's sequence number (big-endian, 8 bytes; fewer in a
datagram under 8 bytes, where it wraps sooner), so a reply is matched to the request it answers. The
in-order reply is the hot path and is recognised by one comparison with what was sent; this
module judges the rest, which is rare: a reply to a datagram already given up for lost (late,
and reordered if a later datagram was answered before it), a second reply to the same datagram
(a duplicate), or bytes that match nothing sent (a mismatch).

Jitter is RFC 3550's interarrival jitter (section 6.4.1) over round trips: J += (|D| - J) / 16,
where D is the difference between the round-trip times of consecutive replies (of any socket:
they share the path). The load loop computes it inline, in the integer form of appendix A.8.
"""

from __future__ import annotations

import struct

MISMATCH, LATE, DUPLICATE = 0, 1, 2  # judge()'s answers: only MISMATCH is false


def sequence_format(size: int) -> struct.Struct:
    """The sequence number field for a datagram of ``size`` bytes."""
    for width, code in ((8, "Q"), (4, "I"), (2, "H")):
        if size >= width:
            return struct.Struct(">" + code)
    return struct.Struct(">B")


class Sequences:
    """Per socket: the number of the datagram in flight, the highest one answered, and the ones
    given up for lost. The load loop keeps the first two lists current inline."""

    def __init__(self, top: int, size: int) -> None:
        self.field = sequence_format(size)
        # Numbers wrap at 2**30 at most: a mask of one CPython digit makes the & per datagram
        # about 30 ns cheaper than a 64-bit one, and a billion datagrams is a long run.
        self.mask = (1 << min(8 * self.field.size, 30)) - 1
        self.current = [0] * top  # the datagram in flight (its number)
        self.answered = [-1] * top  # the highest number answered in order
        self.missing: dict[int, set[int]] = {}  # timed out and not answered (yet)
        self.lost = self.reordered = self.duplicates = 0

    def give_up(self, fd: int) -> None:
        """The datagram in flight had no reply within the timeout: lost, unless it turns up."""
        self.missing.setdefault(fd, set()).add(self.current[fd])
        self.lost += 1

    def judge(self, fd: int, reply: bytearray, received: int, expected: bytearray) -> int:
        """A reply that is not the in-order echo of the datagram in flight: LATE (it answers a
        datagram given up for lost, which no longer counts as lost), DUPLICATE (a second reply
        to an answered datagram) or MISMATCH (anything else: wrong size or damaged bytes)."""
        width = self.field.size
        if received != len(expected) or reply[width:] != expected[width:]:
            return MISMATCH
        (number,) = self.field.unpack_from(reply)
        if number >= self.current[fd]:
            return MISMATCH  # not an older datagram's number

        missing = self.missing.get(fd)
        if missing is not None and number in missing:
            missing.discard(number)
            self.lost -= 1
            if self.answered[fd] > number:
                self.reordered += 1
            return LATE
        self.duplicates += 1
        return DUPLICATE
