"""Zone transfers, AXFR (RFC 5936) and IXFR (RFC 1995), read as a stream of records.

A transfer is one TCP connection carrying one query and a run of replies, each behind its
2-octet length (RFC 1035 section 4.2.2), that ends with the zone's SOA again. The records
come out one by one as each message is decoded, so a zone of millions of records costs the
memory of one message (at most 64 KiB).

The protocol's decisions live in XfrReader, which only sees decoded messages (as dnspython's
dns.xfr.Inbound keeps them apart from dns.query.inbound_xfr's socket handling): where the
transfer starts and ends, whether an IXFR answer is incremental or the full zone (an
"AXFR-style" answer, RFC 1995 section 4), and what is malformed. transfer() does the I/O.
"""

import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from netkit.resolve.inflight import NO_REPLY, Server
from netkit.resolve.wire import MalformedReplyError, Record, parse_reply

XfrType = Literal["AXFR", "IXFR"]
# What the transfer turned out to be: the whole zone (AXFR, or an IXFR answered in full),
# the differences since a serial (IXFR), or nothing to send (the serial is current).
XfrStyle = Literal["full", "incremental", "up-to-date"]


class XfrError(Exception):
    """A transfer that failed or broke off; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class XfrSummary:
    """A finished transfer, in the field names `--json` documents."""

    zone: str  # absolute: "example.test."
    type: XfrType
    server: str
    port: int
    style: XfrStyle
    serial: int  # the zone's serial on the server
    records: int  # as dig counts them: every record, both SOAs included
    messages: int
    bytes: int  # the messages' octets, their length prefixes not counted (as dig)
    query_time_ms: float


def _soa_serial(record: Record) -> int:
    fields = record.data.split()
    if len(fields) != 7 or not fields[2].isdigit():
        raise XfrError(f"malformed SOA record in the transfer: {record.data}")
    return int(fields[2])


def _serial_before(a: int, b: int) -> bool:
    """Whether serial a comes before b in serial number arithmetic (RFC 1982)."""
    return a != b and ((a < b and b - a < 2**31) or (a > b and a - b > 2**31))


class XfrReader:
    """What the messages of one transfer mean, message by message (RFC 5936 section 2.2,
    RFC 1995 section 4); XfrError when they do not make a transfer."""

    def __init__(
        self, zone: str, rdtype: XfrType, serial: int | None = None, where: str = "the server"
    ) -> None:
        self.zone = zone.lower()
        self.where = where  # who sends the messages, for the errors: "127.0.0.1#53"
        self.rdtype = rdtype
        self.incremental = rdtype == "IXFR"
        self.serial = serial  # IXFR: the serial the next deletion set must start from
        self.first_soa: Record | None = None
        self.current_serial = 0
        self.style: XfrStyle = "incremental" if self.incremental else "full"
        self.done = False
        self.expecting_soa = False  # IXFR: the record after the first SOA tells the style
        self.deleting = False

    def take(self, wire: bytes, query_id: int) -> list[Record]:
        """The records of one reply, in order; the transfer is complete once done is set."""
        try:
            reply = parse_reply(wire)
        except MalformedReplyError as error:
            raise XfrError(f"malformed message in the transfer: {error}") from None
        if reply.id != query_id or "qr" not in reply.flags:
            raise XfrError("a message in the transfer answers another query")
        if reply.rcode != "NOERROR":
            meaning = f"{_REFUSALS.get(reply.rcode, 'failed')} ({reply.rcode})"
            raise XfrError(f"zone transfer of {self.zone} {meaning} from {self.where}")
        if reply.question and (
            reply.question[0][0].lower() != self.zone or reply.question[0][1] != self.rdtype
        ):
            raise XfrError("a message in the transfer asks another question")
        for record in reply.answer:
            self._step(record)
        return reply.answer

    def _step(self, record: Record) -> None:
        if self.done:
            raise XfrError("records after the final SOA")
        is_soa = record.type == "SOA" and record.name.lower() == self.zone
        if self.first_soa is None:
            self._start(record, is_soa=is_soa)
        elif is_soa:
            self._origin_soa(record)
        elif self.expecting_soa:
            # An IXFR answered with the whole zone: its second record is not an SOA.
            self.style = "full"
            self.incremental = self.expecting_soa = self.deleting = False

    def _start(self, record: Record, *, is_soa: bool) -> None:
        if not is_soa:
            raise XfrError(f"the transfer does not start with the SOA of {self.zone}")
        self.first_soa = record
        self.current_serial = _soa_serial(record)
        if not self.incremental:
            return
        assert self.serial is not None  # an IXFR asks from a serial
        if not _serial_before(self.serial, self.current_serial):
            self.style = "up-to-date"  # the single SOA of RFC 1995 section 2
            self.done = True
        else:
            self.expecting_soa = True

    def _origin_soa(self, record: Record) -> None:
        assert self.first_soa is not None
        if self.incremental:
            self.deleting = not self.deleting
        final = record.data == self.first_soa.data and (not self.incremental or self.deleting)
        serial = _soa_serial(record)
        if final:
            if self.expecting_soa:
                raise XfrError("empty IXFR sequence")
            if self.incremental and serial != self.serial:
                raise XfrError("IXFR ends before it reaches the current serial")
            self.done = True
            return
        self.expecting_soa = False
        if not self.incremental:
            raise XfrError(f"an SOA of {self.zone} in the middle of the transfer")
        if self.deleting and serial != self.serial:
            raise XfrError(f"IXFR deletes from serial {serial}, not from {self.serial}")
        if not self.deleting:
            self.serial = serial  # the additions bring the zone to this serial


_REFUSALS = {
    "REFUSED": "refused by the server",
    "NOTAUTH": "refused: the server is not authoritative for it",
    "NOTIMP": "not implemented by the server",
    "SERVFAIL": "failed on the server",
    "NXDOMAIN": "failed: no such zone",
}


def xfr_query(zone: str, rdtype: XfrType, serial: int | None) -> tuple[bytes, int]:
    """The query message and its id. An IXFR carries the serial the client has as an SOA in
    its authority section (RFC 1995 section 3); the other SOA fields do not matter."""
    import dns.message
    import dns.rrset

    query_id = secrets.randbits(16)
    # With an EDNS OPT record, as dig asks (the replies then carry one too).
    message = dns.message.make_query(zone, rdtype, id=query_id, use_edns=0, payload=1232)
    if rdtype == "IXFR":
        soa = dns.rrset.from_text(zone, 0, "IN", "SOA", f". . {serial} 0 0 0 0")
        message.authority.append(soa)
    return message.to_wire(), query_id


class Transfer:
    """One zone transfer from one server: iterate over it for its records as they come;
    summary is set once the final SOA is in. The socket waits at most timeout for each read."""

    def __init__(
        self,
        zone: str,
        *,
        server: Server,
        rdtype: XfrType = "AXFR",
        serial: int | None = None,
        timeout: float = 2.0,
    ) -> None:
        self.zone = zone if zone.endswith(".") else zone + "."
        self.server = server
        self.reader = XfrReader(self.zone, rdtype, serial, "{}#{}".format(*server))
        self.timeout = timeout
        self.summary: XfrSummary | None = None
        self.records = 0

    def __iter__(self) -> Iterator[Record]:
        for records in self.messages():
            yield from records

    def messages(self) -> Iterator[list[Record]]:
        """The records of each message as it arrives (a message holds at most 64 KiB)."""
        query, query_id = xfr_query(self.zone, self.reader.rdtype, self.reader.serial)
        where = "{}#{}".format(*self.server)
        started = time.monotonic()
        messages = octets = 0
        family = socket.AF_INET6 if ":" in self.server[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            try:
                sock.connect(self.server)
                sock.sendall(len(query).to_bytes(2, "big") + query)
                while not self.reader.done:
                    wire = self._read_message(sock)
                    messages += 1
                    octets += len(wire)
                    records = self.reader.take(wire, query_id)
                    self.records += len(records)
                    yield records
            except TimeoutError:
                raise XfrError(
                    f"{NO_REPLY} from {where} in {self.timeout:g} s "
                    f"(the transfer stopped after {self.records} records)"
                ) from None
            except OSError as error:
                raise XfrError(f"zone transfer from {where}: {error.strerror or error}") from None
        self.summary = XfrSummary(
            zone=self.zone,
            type=self.reader.rdtype,
            server=self.server[0],
            port=self.server[1],
            style=self.reader.style,
            serial=self.reader.current_serial,
            records=self.records,
            messages=messages,
            bytes=octets,
            query_time_ms=round((time.monotonic() - started) * 1000, 3),
        )

    def _read_message(self, sock: socket.socket) -> bytes:
        length = int.from_bytes(self._read_exactly(sock, 2), "big")
        return self._read_exactly(sock, length)

    def _read_exactly(self, sock: socket.socket, size: int) -> bytes:
        buffer = bytearray(size)
        view = memoryview(buffer)
        filled = 0
        while filled < size:
            got = sock.recv_into(view[filled:])
            if not got:
                raise XfrError(
                    "{}#{} closed the connection before the transfer ended (after {} records)"
                    .format(*self.server, self.records)
                )  # fmt: skip
            filled += got
        return bytes(buffer)
