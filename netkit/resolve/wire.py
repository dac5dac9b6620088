"""DNS messages on the wire (RFC 1035 section 4): build queries, decode replies fast.

The batch engine decodes thousands of replies a second, and dnspython's Message.from_wire costs
more per reply (~130 us) than the loopback round trip itself. So the message structure (header,
question, records, name compression) is decoded here; rdata of types without a fast path is
turned into presentation form by dnspython's own rdata classes, so every type prints as dig does.
"""

import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import NamedTuple

from netkit.resolve.edns import DEFAULT_EDNS, EdnsOption, QueryEdns, decode_options, options_wire
from netkit.resolve.names import MAX_LABEL, MAX_NAME

_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, ttl, rdlength
_TYPE_CLASS = struct.Struct("!HH")

FLAG_QR = 0x8000
FLAG_AA = 0x0400
FLAG_TC = 0x0200
FLAG_RD = 0x0100
FLAG_RA = 0x0080
FLAG_AD = 0x0020
FLAG_CD = 0x0010
# dig's order when it prints the header flags.
_FLAG_NAMES = (
    (FLAG_QR, "qr"),
    (FLAG_AA, "aa"),
    (FLAG_TC, "tc"),
    (FLAG_RD, "rd"),
    (FLAG_RA, "ra"),
    (FLAG_AD, "ad"),
    (FLAG_CD, "cd"),
)
EDNS_DO = 0x8000
EDNS_PAYLOAD = DEFAULT_EDNS.payload
TYPE_OPT = 41
# The record types that ask for a zone transfer over TCP (xfr.py), not a record set.
TRANSFER_TYPES = frozenset({"AXFR", "IXFR"})
CLASS_IN = 1

# RFC 1035 section 4.1.1 and RFC 6891 section 9 (BADVERS needs the EDNS extended rcode).
_RCODES = {
    0: "NOERROR",
    1: "FORMERR",
    2: "SERVFAIL",
    3: "NXDOMAIN",
    4: "NOTIMP",
    5: "REFUSED",
    6: "YXDOMAIN",
    7: "YXRRSET",
    8: "NXRRSET",
    9: "NOTAUTH",
    10: "NOTZONE",
    16: "BADVERS",
    23: "BADCOOKIE",
}

# Label octets dnspython (and dig) print as they are; everything else is escaped.
_SPECIAL = b'"().;\\@$'
_PLAIN_OCTETS = bytes(c for c in range(0x21, 0x7F) if c not in _SPECIAL)
_NAME_OCTETS = _PLAIN_OCTETS + b"."  # ...and the dots between labels


def spelled_as_presented(name: str) -> bool:
    """Whether ``name`` is already written the way a reply's decoder would write it: only
    octets that need no escape, between the dots. A name typed with a space, an ESC or a
    semicolon has another spelling in presentation format (\\032, \\027, \\;), as dig shows.

    One pass over the whole name (the dots allowed as they are) says the same as a pass over
    each label, at a fraction of the cost: a batch asks it for every name."""
    return name.isascii() and not name.encode().translate(None, _NAME_OCTETS)


# Offsets of names decoded so far in one message -> (text, octets on the wire).
NamesSeen = dict[int, tuple[str, int]]


class MalformedReplyError(ValueError):
    """A reply that is not a DNS message we can decode (garbage, cut short, pointer loops)."""


@dataclass(slots=True)  # not frozen: one a record in a batch (see query.DnsQuestion)
class Record:
    """One resource record in presentation form (zone-file text)."""

    name: str  # owner, absolute: "www.example.com."
    type: str  # "MX"
    ttl: int
    data: str  # "10 mail.example.com."
    rdclass: str = "IN"


@dataclass(frozen=True, slots=True)
class Edns:
    """The OPT pseudo-record of a reply (RFC 6891)."""

    version: int
    udp_size: int
    dnssec_ok: bool
    options: tuple[EdnsOption, ...] = ()  # NSID, COOKIE, EDE, ... decoded where known


class Reply(NamedTuple):
    """A decoded reply: header, sections, EDNS (internal: query.DnsResult is the public form)."""

    id: int
    flags: tuple[str, ...]  # ("qr", "aa", "rd")
    opcode: int
    rcode: str  # "NOERROR", "NXDOMAIN", ... (extended with EDNS)
    question: list[tuple[str, str]]  # (name, type)
    answer: list[Record]
    authority: list[Record]
    additional: list[Record]
    edns: Edns | None
    size: int
    complete: bool = True  # False when only the answer section was decoded


def rcode_text(code: int) -> str:
    text = _RCODES.get(code)
    return f"RCODE{code}" if text is None else text


@cache  # a batch sees a handful of distinct flag words
def flags_text(flags: int) -> tuple[str, ...]:
    return tuple(name for bit, name in _FLAG_NAMES if flags & bit)


@cache  # and fewer distinct OPT records: share one Edns each
def _edns(version: int, udp_size: int, dnssec_ok: bool) -> Edns:
    return Edns(version, udp_size, dnssec_ok)


# The types people ask for, so a batch of them never has to import dnspython.
_TYPE_VALUES = {
    "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "HINFO": 13, "MX": 15, "TXT": 16,
    "AAAA": 28, "LOC": 29, "SRV": 33, "NAPTR": 35, "DNAME": 39, "OPT": 41, "DS": 43,
    "SSHFP": 44, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "NSEC3": 50, "NSEC3PARAM": 51,
    "TLSA": 52, "CDS": 59, "CDNSKEY": 60, "SVCB": 64, "HTTPS": 65, "IXFR": 251, "AXFR": 252,
    "ANY": 255, "CAA": 257,
}  # fmt: skip
_TYPE_NAMES = {value: name for name, value in _TYPE_VALUES.items()}


def type_text(rdtype: int) -> str:
    """The mnemonic of a record type number: 15 -> "MX", 65534 -> "TYPE65534"."""
    name = _TYPE_NAMES.get(rdtype)
    if name is None:
        import dns.rdatatype

        name = _TYPE_NAMES[rdtype] = dns.rdatatype.to_text(rdtype)  # type: ignore[arg-type]  # any int is a valid RdataType
    return name


def type_value(text: str) -> int:
    """A record type's number from its mnemonic or TYPEnnn (RFC 3597); ValueError if unknown."""
    value = _TYPE_VALUES.get(text.upper())
    if value is not None:
        return value
    import dns.rdatatype

    try:
        return int(dns.rdatatype.from_text(text))
    except dns.rdatatype.UnknownRdatatype:
        raise ValueError(f"unknown record type '{text}'") from None


def class_value(text: str) -> int:
    """A class's number from its mnemonic (IN, CH, HS) or CLASSnnn; ValueError if unknown."""
    if text.upper() == "IN":
        return CLASS_IN
    import dns.rdataclass

    try:
        return int(dns.rdataclass.from_text(text))
    except dns.rdataclass.UnknownRdataclass:
        raise ValueError(f"unknown class '{text}'") from None


@cache
def class_text(rdclass: int) -> str:
    import dns.rdataclass

    return dns.rdataclass.to_text(rdclass)  # type: ignore[arg-type]  # any int is a valid class


def name_to_wire(ascii_name: str) -> bytes:
    """A validated ASCII name (see names.host_name) in uncompressed wire form, as absolute."""
    if "\\" in ascii_name:  # escapes (\. \065) are dnspython's to parse
        import dns.name

        wire = dns.name.from_text(ascii_name).to_wire()
        assert wire is not None  # to_wire returns bytes when not given a file
        return wire
    stripped = ascii_name.removesuffix(".")
    if not stripped:
        return b"\x00"
    first, _, parent = stripped.partition(".")
    tail = _PARENT_WIRE.get(parent)
    if tail is None:
        tail = _labels_wire(parent)
        if len(_PARENT_WIRE) >= _PARENT_WIRE_MAX:
            _PARENT_WIRE.clear()
        _PARENT_WIRE[parent] = tail
    label = first.encode("ascii")
    return _LENGTH_OCTET[len(label)] + label + tail


def _labels_wire(stripped: str) -> bytes:
    """The labels of a name written without its root dot ("" for the root), in wire form."""
    labels = stripped.encode("ascii").split(b".") if stripped else []
    return b"".join([_LENGTH_OCTET[len(label)] + label for label in labels]) + b"\x00"


# A label's length octet, made once for each length (a batch encodes a name a question).
_LENGTH_OCTET = [bytes((length,)) for length in range(MAX_LABEL + 1)]
# The wire form of names' parents, by their text: a batch's names mostly share a few
# ("example.com" of each "host.example.com"), and joining their labels is most of the cost.
# Bounded: emptied when full.
_PARENT_WIRE: dict[str, bytes] = {}
_PARENT_WIRE_MAX = 4096


def build_query(  # noqa: PLR0913  # the header bits and the OPT record of one query
    qname_wire: bytes,
    qtype: int,
    *,
    recurse: bool = True,
    dnssec: bool = False,
    checking_disabled: bool = False,
    authentic_data: bool = False,
    edns: QueryEdns | None = DEFAULT_EDNS,
    qclass: int = CLASS_IN,
) -> bytes:
    """A query message with id 0 (the engine sets a random id per try) and an EDNS0 OPT record
    (none when edns is None: then dnssec cannot be asked for)."""
    flags = (
        (FLAG_RD if recurse else 0)
        | (FLAG_CD if checking_disabled else 0)
        | (FLAG_AD if authentic_data else 0)
    )
    question = qname_wire + _TYPE_CLASS.pack(qtype, qclass)
    if edns is None:
        return _HEADER.pack(0, flags, 1, 0, 0, 0) + question
    header = _HEADER.pack(0, flags, 1, 0, 0, 1)
    ttl = EDNS_DO if dnssec else 0
    if edns is DEFAULT_EDNS:  # the batch's fast path: a fixed OPT record without options
        return header + question + b"\x00" + _RR_FIXED.pack(TYPE_OPT, EDNS_PAYLOAD, ttl, 0)
    data = options_wire(edns, len(header) + len(question) + OPT_RECORD_LENGTH)
    opt = b"\x00" + _RR_FIXED.pack(TYPE_OPT, edns.payload, ttl, len(data)) + data
    return header + question + opt


OPT_RECORD_LENGTH = 11  # root owner, type, class, ttl, rdlength: an OPT record without options


def query_maker(
    *,
    recurse: bool = True,
    dnssec: bool = False,
    checking_disabled: bool = False,
    authentic_data: bool = False,
    edns: QueryEdns | None = DEFAULT_EDNS,
    qclass: int = CLASS_IN,
) -> Callable[[bytes, int], bytes]:
    """build_query with these settings, as a function of the name's wire form and the type.

    A batch makes a message for every question, and all but the name and type are the same:
    the header and OPT record are made once, by build_query itself, and joined around each
    question (a fifth of build_query's cost). EDNS options are made for each message (their
    padding depends on its length)."""
    make = partial(
        build_query,
        recurse=recurse,
        dnssec=dnssec,
        checking_disabled=checking_disabled,
        authentic_data=authentic_data,
        edns=edns,
        qclass=qclass,
    )
    if edns is not None and edns is not DEFAULT_EDNS:
        return make
    root = make(b"\x00", 0)  # the root name: a length octet of 0
    header, after_question = root[:12], root[12 + 1 + 4 :]
    type_class = _TYPE_CLASS.pack
    return lambda name, rdtype: header + name + type_class(rdtype, qclass) + after_question


def without_edns(message: bytes) -> bytes | None:
    """The query without its OPT record (for servers that answer EDNS with FORMERR), or None
    when it has none (RFC 6891 section 7: a FORMERR without OPT means EDNS is not understood).
    build_query puts the OPT record, the only additional record, right after the question."""
    if message[10:12] != b"\x00\x01":
        return None
    opt_at = 12 + question_length(message)
    if message[opt_at : opt_at + 3] != b"\x00\x00\x29":
        return None
    return message[:10] + b"\x00\x00" + message[12:opt_at]


def question_length(message: bytes) -> int:
    """Octets of the (uncompressed) question section that starts at offset 12."""
    offset = 12
    while message[offset]:
        offset += message[offset] + 1
    return offset + 1 + 4 - 12


def _escape_label(label: bytes) -> str:
    if not label.translate(None, _PLAIN_OCTETS):
        return label.decode("ascii")
    out = []
    for octet in label:
        if octet in _SPECIAL:
            out.append("\\" + chr(octet))
        elif 0x20 < octet < 0x7F:
            out.append(chr(octet))
        else:
            out.append(f"\\{octet:03d}")
    return "".join(out)


def read_name(wire: bytes, offset: int, seen: NamesSeen | None = None) -> tuple[str, int]:
    """Decode a possibly compressed name (RFC 1035 section 4.1.4) at offset.

    Returns the name as absolute text and the offset just past it in the record. ``seen`` maps
    offsets of names already decoded in this message to (text, octets on the wire):
    compression points back at them, so each suffix is decoded once per message.

    One loop whose branches are the cases of the format (end, pointer, label) and the ways each
    can be malformed: it runs for every name of every reply, so it is not split into calls.
    """
    limit = len(wire)
    if seen and offset + 1 < limit and wire[offset] >= 0xC0:  # the usual owner: one pointer
        hit = seen.get(((wire[offset] & 0x3F) << 8) | wire[offset + 1])
        if hit is not None:
            return hit[0], offset + 2
    labels: list[tuple[int, str, int]] = []  # (offset, text, octets)
    end = -1  # where the record continues: just past the first pointer, or the final 0
    length = 1  # octets on the wire, the root label's included
    jumps = 0
    suffix = "."
    while True:
        if offset >= limit:
            raise MalformedReplyError("name runs past the end of the message")
        octet = wire[offset]
        if octet == 0:
            if end < 0:
                end = offset + 1
            break
        if octet >= 0xC0:
            if offset + 1 >= limit:
                raise MalformedReplyError("compression pointer cut short")
            target = ((octet & 0x3F) << 8) | wire[offset + 1]
            if end < 0:
                end = offset + 2
            hit = seen.get(target) if seen is not None else None
            if hit is not None:
                suffix = hit[0]
                length += hit[1] - 1
                break
            jumps += 1
            if target >= offset or jumps > 127:  # only backwards: no loops
                raise MalformedReplyError("compression pointer loop")
            offset = target
            continue
        if octet > MAX_LABEL:
            raise MalformedReplyError(f"unknown label type 0x{octet & 0xC0:02x}")
        label = wire[offset + 1 : offset + 1 + octet]
        if len(label) != octet:
            raise MalformedReplyError("label runs past the end of the message")
        labels.append((offset, _escape_label(label), octet + 1))
        length += octet + 1
        offset += octet + 1
    if length > MAX_NAME:
        raise MalformedReplyError("name longer than 255 octets")
    octets = length - sum(label[2] for label in labels)  # of the suffix
    for label_offset, text, size in reversed(labels):
        suffix = text + "." + suffix if suffix != "." else text + "."
        octets += size
        if seen is not None:
            seen[label_offset] = (suffix, octets)
    return suffix, end


def _rdata_text(wire: bytes, offset: int, fixed: tuple[int, int, int, int], seen: NamesSeen) -> str:
    """The rdata at offset in presentation form; fixed is the record's (type, class, ttl,
    rdlength) as _RR_FIXED unpacks them."""
    rdtype, rdclass, _ttl, rdlength = fixed
    if rdtype == 1 and rdlength == 4:  # A
        return socket.inet_ntop(socket.AF_INET, wire[offset : offset + 4])
    if rdtype == 28 and rdlength == 16:  # AAAA: RFC 5952 text, as dnspython writes it too
        return socket.inet_ntop(socket.AF_INET6, wire[offset : offset + 16])
    if rdtype in (2, 5, 12, 39):  # NS, CNAME, PTR, DNAME: one domain name
        name, end = read_name(wire, offset, seen)
        if end != offset + rdlength:
            raise MalformedReplyError(f"{type_text(rdtype)} rdata length does not match its name")
        return name
    import dns.exception
    import dns.rdata

    try:
        rdata = dns.rdata.from_wire(rdclass, rdtype, wire, offset, rdlength)  # type: ignore[arg-type]  # ints are valid
    except (dns.exception.DNSException, ValueError, IndexError) as error:
        raise MalformedReplyError(f"bad {type_text(rdtype)} rdata: {error}") from None
    try:
        # One unbroken base64/hex string (dnspython splits keys and digests into chunks).
        return str(rdata.to_text(chunksize=0))
    except TypeError:  # a type whose to_text takes no formatting options
        return str(rdata.to_text())


# An OPT pseudo-record (RFC 6891 section 6.1.3): its Edns and the upper 8 bits of the rcode.
OptRecord = tuple[Edns, int]


def _read_records(
    wire: bytes, offset: int, count: int, seen: NamesSeen, *, decode: bool = True
) -> tuple[int, list[Record], OptRecord | None]:
    """The count records from offset: the offset past them, the records, and the first OPT
    record among them (which belongs to no section).

    Without decode the records are only stepped over (an OPT record is still read).
    """
    records: list[Record] = []
    opt: OptRecord | None = None
    for _ in range(count):
        if decode:
            name, offset = read_name(wire, offset, seen)
        else:
            name, offset = ".", _skip_name(wire, offset)
        if offset + 10 > len(wire):
            raise MalformedReplyError("record header cut short")
        fixed = _RR_FIXED.unpack_from(wire, offset)
        rdtype, rdclass, ttl, rdlength = fixed
        offset += 10
        if offset + rdlength > len(wire):
            raise MalformedReplyError("record data runs past the end of the message")
        if rdtype == TYPE_OPT:
            if opt is None:
                opt = _opt_record(wire, offset, rdclass, ttl, rdlength)
        elif decode:
            data = _rdata_text(wire, offset, fixed, seen)
            klass = "IN" if rdclass == CLASS_IN else class_text(rdclass)
            records.append(Record(name, type_text(rdtype), ttl, data, klass))
        offset += rdlength
    return offset, records, opt


def _step_over(wire: bytes, offset: int, count: int) -> tuple[int, OptRecord | None]:
    """Step over count records from offset, reading only the first OPT record: the offset
    past them and the OPT record, if any. What _read_records does without decode, in one
    loop (the name skipped inline): a +short or table batch steps over these sections in
    every reply."""
    limit = len(wire)
    opt: OptRecord | None = None
    unpack = _RR_FIXED.unpack_from
    for _ in range(count):
        while True:  # the owner name: labels up to the root label or a pointer
            if offset >= limit:
                raise MalformedReplyError("name runs past the end of the message")
            octet = wire[offset]
            if octet >= 0xC0:
                offset += 2
                break
            offset += octet + 1
            if not octet:
                break
        if offset + 10 > limit:
            raise MalformedReplyError("record header cut short")
        rdtype, rdclass, ttl, rdlength = unpack(wire, offset)
        offset += 10
        if offset + rdlength > limit:
            raise MalformedReplyError("record data runs past the end of the message")
        if rdtype == TYPE_OPT and opt is None:
            opt = _opt_record(wire, offset, rdclass, ttl, rdlength)
        offset += rdlength
    return offset, opt


# What _step_over found in the sections after the answers, by their octets: a batch against a
# few zones gets the same authority and additional sections in reply after reply (the zone's
# NS records, their addresses, the OPT record), and stepping over them costs three times the
# look-up (1 us against 0.3 us, measured). Stepping over reads nothing before offset (names
# are skipped, not followed), so the octets from offset on decide the outcome. Bounded: it is
# emptied when full.
_STEPPED: dict[tuple[int, bytes], tuple[int, OptRecord | None]] = {}
_STEPPED_MAX = 1024
# Sections longer than this are not remembered: the usual ones (NS records, their addresses,
# the OPT record) are far shorter, and 1,024 keys of a 64 KiB message each would not be flat.
_REMEMBERED_OCTETS = 512


def _stepped_over(wire: bytes, offset: int, count: int) -> tuple[int, OptRecord | None]:
    """_step_over(wire, offset, count), remembered by the octets it reads."""
    if len(wire) - offset > _REMEMBERED_OCTETS:
        return _step_over(wire, offset, count)
    key = (count, wire[offset:])
    known = _STEPPED.get(key)
    if known is None:
        end, opt = _step_over(wire, offset, count)
        if len(_STEPPED) >= _STEPPED_MAX:
            _STEPPED.clear()
        known = _STEPPED[key] = (end - offset, opt)
    return offset + known[0], known[1]


# The authority and additional sections decoded, and the offset past them.
Tail = tuple[int, list[Record], list[Record], OptRecord | None]


def _read_tail(
    wire: bytes, offset: int, counts: tuple[int, int], seen: NamesSeen, answers_only: bool
) -> Tail:
    """The authority and additional sections from offset (counts: their records), the
    additional section only stepped over (for its OPT record) with answers_only."""
    offset, authority, authority_opt = _read_records(wire, offset, counts[0], seen)
    offset, additional, opt = _read_records(wire, offset, counts[1], seen, decode=not answers_only)
    return offset, authority, additional, authority_opt or opt


# The authority and additional sections of a batch's replies, decoded once for each way they
# are written. Against one zone they are the same reply after reply (its NS records and their
# addresses, the OPT record), and decoding them is over half of what --json costs a reply
# (4.5 us of 7, measured). What they decode to depends on their octets and on the octets their
# compression pointers reach: those of the question's name after its first label (the parent
# zone's part), when the decoding is known to read nothing else, which _reads_only is asked
# once for each new kind. Bounded: emptied when full.
_TAILS: dict[tuple[object, ...], Tail] = {}
_TAILS_MAX = 1024


def _remembered_tail(
    wire: bytes, question_end: int, offset: int, counts: tuple[int, int], answers_only: bool
) -> Tail | None:
    """_read_tail of a reply whose question is the one asked (ending at question_end), from
    what an earlier reply with the same sections decoded to; None when it cannot be known."""
    suffix_at = 13 + wire[12]  # past the first label of the question's name
    if suffix_at > question_end - 4 or len(wire) - offset > _REMEMBERED_OCTETS:
        return None  # the root name (no first label), or sections too long to keep
    key = (wire[suffix_at : question_end - 4], question_end, offset, counts, answers_only,
           wire[offset:])  # fmt: skip
    known = _TAILS.get(key)
    if known is not None:
        return known
    tail = _read_tail(wire, offset, counts, {}, answers_only)
    if _reads_only(wire, (12, suffix_at), (question_end - 4, offset), counts, answers_only, tail):
        if len(_TAILS) >= _TAILS_MAX:
            _TAILS.clear()
        _TAILS[key] = tail
    return tail


def _reads_only(
    wire: bytes,
    first_label: tuple[int, int],
    between: tuple[int, int],
    counts: tuple[int, int],
    answers_only: bool,
    tail: Tail,
) -> bool:
    """Whether decoding the tail reads none of the octets of the question's first label and
    none between the question's name and the tail (its type, class and the answers): the
    decoding, done again with those octets overwritten, gives the same tail. Overwritten
    twice (0xFF, then 0xFE), so an octet that happens to equal one of them is caught by the
    other; a length octet overwritten so reads as a forward pointer, which is malformed."""
    for filler in (0xFF, 0xFE):
        altered = bytearray(wire)
        for start, end in (first_label, between):
            altered[start:end] = bytes((filler,)) * (end - start)
        try:
            again = _read_tail(bytes(altered), between[1], counts, {}, answers_only)
        except MalformedReplyError:
            return False
        if again != tail:
            return False
    return True


def _opt_record(wire: bytes, offset: int, rdclass: int, ttl: int, rdlength: int) -> OptRecord:
    """The OPT record whose rdata is at offset: its Edns and the upper 8 bits of the rcode."""
    edns = _edns((ttl >> 16) & 0xFF, rdclass, bool(ttl & EDNS_DO))
    if rdlength:  # options: rare in a batch, so the shared Edns serves the rest
        options = decode_options(wire[offset : offset + rdlength])
        edns = Edns(edns.version, edns.udp_size, edns.dnssec_ok, options)
    return edns, ttl >> 24


def _skip_name(wire: bytes, offset: int) -> int:
    """The offset just past the name at offset, without decoding it."""
    limit = len(wire)
    while offset < limit:
        octet = wire[offset]
        if octet == 0:
            return offset + 1
        if octet >= 0xC0:
            return offset + 2
        offset += octet + 1
    raise MalformedReplyError("name runs past the end of the message")


def _question_suffixes(seen: NamesSeen, name: str, octets: int) -> None:
    """Note the question's name and each of its suffixes (at offset 12 on), as read_name would
    on decoding it: names later in the reply point at them ("example." of "www.example.").

    name is the question as sent and repeated octet for octet, in presentation form. Without
    escapes its dots are the label boundaries and a label's text is its octets; a name with
    escapes (\\. \\000) is noted whole, and read_name finds its suffixes itself."""
    offset = 12
    if "\\" in name:
        seen[offset] = (name, octets)
        return
    while name:
        seen[offset] = (name, octets)
        label, _, name = name.partition(".")
        offset += len(label) + 1
        octets -= len(label) + 1


def _answers_at_question(
    wire: bytes, offset: int, count: int, name: str
) -> tuple[int, list[Record]] | None:
    """The usual answer section of a batch, read without the general decoder: count A or AAAA
    records of class IN whose owner is a pointer to the question's name (offset 12).

    Returns the offset past them and the records, which are the ones _read_records would
    return; None at the first record of any other shape, and the general decoder reads the
    section from its start (and says what is malformed)."""
    records = []
    limit = len(wire)
    for _ in range(count):
        start = offset + 12
        if start > limit or wire[offset : offset + 2] != b"\xc0\x0c":
            return None
        rdtype, rdclass, ttl, rdlength = _RR_FIXED.unpack_from(wire, offset + 2)
        offset = start + rdlength
        if rdclass != CLASS_IN or offset > limit:
            return None
        if rdtype == 1 and rdlength == 4:
            records.append(
                Record(name, "A", ttl, socket.inet_ntop(socket.AF_INET, wire[start:offset]))
            )
        elif rdtype == 28 and rdlength == 16:
            data = socket.inet_ntop(socket.AF_INET6, wire[start:offset])
            records.append(Record(name, "AAAA", ttl, data))
        else:
            return None
    return offset, records


def _read_question(
    wire: bytes, count: int, seen: NamesSeen, *, answers_only: bool
) -> tuple[int, list[tuple[str, str]]]:
    """The question section: the offset past it, and its (name, type) entries."""
    offset = 12
    question = []
    for _ in range(count):
        if answers_only:  # the engine has checked the question against the query already
            name, offset = "", _skip_name(wire, offset)
        else:
            name, offset = read_name(wire, offset, seen)
        if offset + 4 > len(wire):
            raise MalformedReplyError("question cut short")
        qtype, _qclass = _TYPE_CLASS.unpack_from(wire, offset)
        offset += 4
        question.append((name, type_text(qtype)))
    return offset, question


def parse_reply(
    wire: bytes, *, answers_only: bool = False, asked: tuple[str, int] | None = None
) -> Reply:
    """Decode a reply; MalformedReplyError for anything that is not a well-formed message.

    answers_only decodes the answer section alone (and the authority section of a reply with
    no answers, for its SOA or referral): the part a batch table prints, at a third of the cost.
    asked is (name, end of the question) when the caller has checked that the reply's question
    is octet for octet the one it sent: then the name is not decoded again.
    """
    if len(wire) < 12:
        raise MalformedReplyError(f"{len(wire)} octets is shorter than a DNS header")
    qid, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
    seen: NamesSeen = {}
    answer: list[Record] | None = None
    if asked is not None and qdcount == 1:
        name, end = asked
        question = [(name, type_text(int.from_bytes(wire[end - 4 : end - 2], "big")))]
        offset, answer = _answers_at_question(wire, end, ancount, name) or (end, None)
        # Names decoded from here on may point at the question's: note it and its suffixes
        # (the octets of its name: the question less type and class). The sections after
        # the answers are mostly remembered (_remembered_tail): they do without.
        if answer is None:
            _question_suffixes(seen, name, end - 16)
    else:
        offset, question = _read_question(wire, qdcount, seen, answers_only=answers_only)
    opt: OptRecord | None = None
    if answer is None:
        offset, answer, opt = _read_records(wire, offset, ancount, seen)
    # A batch table needs the authority section only when there are no answers (its SOA or
    # referral); the additional section is stepped over for its OPT record.
    if answers_only and ancount:
        authority: list[Record] = []
        additional: list[Record] = []
        offset, rest_opt = _stepped_over(wire, offset, nscount + arcount)
    else:
        tail = None
        if asked is not None and qdcount == 1:
            tail = _remembered_tail(wire, asked[1], offset, (nscount, arcount), answers_only)
            if tail is None and not seen:  # not remembered: the general decoder needs them
                _question_suffixes(seen, asked[0], asked[1] - 16)
        if tail is None:
            tail = _read_tail(wire, offset, (nscount, arcount), seen, answers_only)
        offset, authority, additional, rest_opt = tail
    opt = opt or rest_opt
    if opt is None:
        edns, rcode = None, flags & 0x000F
    else:
        edns, rcode = opt[0], (flags & 0x000F) | opt[1] << 4
    # Positional, in Reply's field order: one a reply in a batch.
    return Reply(
        qid, flags_text(flags), (flags >> 11) & 0xF, rcode_text(rcode), question,
        answer, authority, additional, edns, len(wire), not answers_only,
    )  # fmt: skip
