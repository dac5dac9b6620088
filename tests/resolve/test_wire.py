"""The fast wire decoder against dnspython's, and the name rules, by example and by hypothesis."""

import contextlib

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rdata
import dns.rrset
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from netkit.resolve.names import InvalidNameError, host_name, reverse_name, unicode_form
from netkit.resolve.wire import (
    MalformedReplyError,
    build_query,
    name_to_wire,
    parse_reply,
    question_length,
    read_name,
    type_text,
    type_value,
    without_edns,
)
from tests.resolve.zones import DNSKEY

SAMPLES = [
    ("A", "192.0.2.1"),
    ("AAAA", "2001:db8::1"),
    ("AAAA", "::ffff:192.0.2.1"),
    ("CNAME", "target.example."),
    ("NS", "ns1.example."),
    ("PTR", "host.example."),
    ("MX", "10 mail.example."),
    ("TXT", '"hello world" "semi;colon"'),
    ("SOA", "ns1.example. hostmaster.example. 1 3600 600 86400 300"),
    ("SRV", "10 5 443 host.example."),
    ("CAA", '0 issue "ca.example"'),
    ("DS", "12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
    ("DNSKEY", f"257 3 13 {DNSKEY}"),
    ("HTTPS", '1 . alpn="h2,h3"'),
    ("SVCB", "1 svc.example. port=8443"),
    ("TYPE65534", r"\# 3 010203"),
]  # fmt: skip

labels = st.binary(min_size=1, max_size=20)
names = st.lists(labels, min_size=0, max_size=6).map(lambda ls: dns.name.Name([*ls, b""]))


def dnspython_text(rdtype: str, rdata: dns.rdata.Rdata) -> str:
    try:
        return str(rdata.to_text(chunksize=0))
    except TypeError:
        return str(rdata.to_text())


@given(
    owners=st.lists(names, min_size=1, max_size=6),
    picks=st.lists(st.sampled_from(SAMPLES), unique=True),
)
@settings(max_examples=100, deadline=None)
def test_replies_decode_as_dnspython_does(
    owners: list[dns.name.Name], picks: list[tuple[str, str]]
) -> None:
    query = dns.message.make_query(owners[0], "A", use_edns=0, payload=1232)
    response = dns.message.make_response(query)
    for index, (rdtype, text) in enumerate(picks):
        owner = owners[index % len(owners)]
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", rdtype, text))
    wire = response.to_wire()  # compresses names, so pointers get exercised
    reply = parse_reply(wire)
    reparsed = dns.message.from_wire(wire)
    expected = [
        (rrset.name.to_text(), type_text(rrset.rdtype), rrset.ttl, dnspython_text("", rdata))
        for rrset in reparsed.answer
        for rdata in rrset
    ]
    # The engine's shortcut (the question's name given, not decoded) changes nothing.
    end = 12 + question_length(wire)
    assert parse_reply(wire, asked=(owners[0].to_text(), end)) == reply
    # dnspython groups records into RRsets (and drops duplicates): compare as sets.
    assert {(r.name, r.type, r.ttl, r.data) for r in reply.answer} == set(expected)
    assert reply.question == [(owners[0].to_text(), "A")]
    assert reply.edns is not None


@given(st.binary(min_size=16, max_size=16))
def test_aaaa_text_is_dnspython_text(address: bytes) -> None:
    response = dns.message.make_response(dns.message.make_query("v6.example.", "AAAA"))
    rdata = dns.rdata.from_wire("IN", "AAAA", address, 0, 16)
    response.answer.append(dns.rrset.from_rdata("v6.example.", 60, rdata))
    assert parse_reply(response.to_wire()).answer[0].data == rdata.to_text()


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_garbage_is_malformed_never_a_crash(data: bytes) -> None:
    with contextlib.suppress(MalformedReplyError):
        parse_reply(data)


@given(
    rdtype=st.sampled_from([type_value(t) for t, _ in SAMPLES] + [6, 15, 16, 33, 46, 47, 50]),
    rdata=st.binary(max_size=80),
)
@settings(max_examples=400, deadline=None)
def test_garbage_rdata_is_malformed_never_a_crash(rdtype: int, rdata: bytes) -> None:
    header = b"\x00\x01\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00"
    record = b"\x00" + rdtype.to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x3c"
    wire = header + record + len(rdata).to_bytes(2, "big") + rdata
    with contextlib.suppress(MalformedReplyError):
        parse_reply(wire)


def test_every_cut_of_a_reply_is_malformed() -> None:
    response = dns.message.make_response(dns.message.make_query("www.example.", "MX"))
    response.answer.append(dns.rrset.from_text("www.example.", 60, "IN", "MX", "10 mx.example."))
    wire = response.to_wire()
    for size in range(len(wire)):
        with pytest.raises(MalformedReplyError):
            parse_reply(wire[:size])


def test_compression_loops_are_malformed() -> None:
    header = b"\x00\x01\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00"
    with pytest.raises(MalformedReplyError, match="loop"):
        parse_reply(header + b"\xc0\x0c\x00\x01\x00\x01")  # a pointer to itself
    with pytest.raises(MalformedReplyError, match="loop"):
        read_name(b"\x01a\xc0\x02", 0)  # a pointer forwards


@given(names)
def test_names_decode_as_dnspython_prints_them(name: dns.name.Name) -> None:
    wire = name.to_wire()
    assert wire is not None
    assert read_name(wire, 0) == (name.to_text(), len(wire))


def test_query_is_what_dnspython_reads() -> None:
    wire = build_query(name_to_wire("xn--bcher-kva.example."), type_value("AAAA"), dnssec=True)
    query = dns.message.from_wire(b"\x12\x34" + wire[2:])
    assert query.question[0].to_text() == "xn--bcher-kva.example. IN AAAA"
    assert query.flags & dns.flags.RD
    assert query.edns == 0 and query.payload == 1232 and query.ednsflags & dns.flags.DO
    no_rd = dns.message.from_wire(build_query(name_to_wire("a."), 1, recurse=False))
    assert not no_rd.flags & dns.flags.RD


def test_a_query_without_edns() -> None:
    plain = without_edns(build_query(name_to_wire("a.example."), 1, dnssec=True))
    assert plain is not None
    query = dns.message.from_wire(plain)
    assert (query.edns, query.question[0].to_text()) == (-1, "a.example. IN A")
    assert without_edns(plain) is None


def test_escaped_names_go_through_dnspython() -> None:
    assert name_to_wire(r"a\.b.example.") == dns.name.from_text(r"a\.b.example.").to_wire()


@pytest.mark.parametrize("text", ["a", "MX", "https", "TYPE65534", "caa"])
def test_type_names_round_trip(text: str) -> None:
    assert type_text(type_value(text)) == text.upper()


def test_unknown_type_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown record type 'BOGUS'"):
        type_value("BOGUS")


def test_idn_uses_idna_2008() -> None:
    name = host_name("Bücher.example")  # UTS 46 maps case, as browsers do
    assert (name.ascii, name.is_idn) == ("xn--bcher-kva.example", True)
    # IDNA 2008 keeps ß (IDNA 2003 turned it into ss).
    assert host_name("faß.de").ascii == "xn--fa-hia.de"
    assert unicode_form("xn--bcher-kva.example.") == "bücher.example."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a" * 64 + ".test", "label of 64 octets"),
        (".".join(["b" * 63] * 4) + ".c", "octets long (at most 255)"),
        ("a..test", "empty label"),
        ("", "empty name"),
        ("bü..test", "empty label"),
    ],
)
def test_name_limits(text: str, message: str) -> None:
    with pytest.raises(InvalidNameError, match=message.replace("(", r"\(").replace(")", r"\)")):
        host_name(text)


def test_255_octets_is_allowed() -> None:
    # 3 labels of 63 + 1 of 61: 4*63 + 1 + 62 ... computed to exactly 255 on the wire.
    name = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(name_to_wire(name)) == 255
    assert host_name(name).ascii == name


def test_reverse_names() -> None:
    assert reverse_name("192.0.2.10") == "10.2.0.192.in-addr.arpa."
    assert reverse_name("2001:db8::1").startswith("1.0.0.0.")
    with pytest.raises(InvalidNameError):
        reverse_name("example.com")


plain_labels = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
plain_names = st.lists(plain_labels, min_size=1, max_size=5).map(lambda ls: ".".join(ls) + ".")


@given(
    name=plain_names | names.map(lambda n: n.to_text()),
    addresses=st.lists(st.sampled_from(SAMPLES[:3] + SAMPLES[4:5]), max_size=4),
    cut=st.integers(0, 200),
    rcode=st.sampled_from([0, 3]),
)
@settings(max_examples=300, deadline=None)
def test_the_batch_shortcuts_decode_what_the_general_decoder_does(
    name: str, addresses: list[tuple[str, str]], cut: int, rcode: int
) -> None:
    """A batch's usual reply (A and AAAA answers at the question's name, an NS in the authority
    section that points into the question, its address in the additional one), read through
    the shortcuts (the question given, the answers read without the general decoder) and
    without them: the same reply, or the same failure for a reply cut short."""
    query = dns.message.make_query(name, "A", use_edns=0, payload=1232)
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    owner = dns.name.from_text(name)
    for rdtype, text in addresses:
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", rdtype, text))
    zone = owner.parent() if len(owner) > 1 else owner
    ns = dns.name.Name((b"ns1", *zone.labels))
    response.authority.append(dns.rrset.from_text(zone, 300, "IN", "NS", ns.to_text()))
    response.additional.append(dns.rrset.from_text(ns, 300, "IN", "A", "127.0.0.1"))
    whole = response.to_wire()
    end = 12 + question_length(whole)
    wire = whole if cut == 0 else whole[: max(end, len(whole) - cut)]
    for answers_only in (False, True):
        try:
            general = parse_reply(wire, answers_only=answers_only)
        except MalformedReplyError:
            with pytest.raises(MalformedReplyError):
                parse_reply(wire, answers_only=answers_only, asked=(owner.to_text(), end))
            continue
        shortcut = parse_reply(wire, answers_only=answers_only, asked=(owner.to_text(), end))
        # The general decoder spells the question as the wire has it; answers_only skips it.
        assert shortcut._replace(question=general.question) == general
        assert shortcut.answer == general.answer


@given(st.lists(st.integers(0, 66), min_size=1, max_size=8), st.booleans())
@settings(max_examples=300, deadline=None)
def test_name_limits_are_dnspythons(lengths: list[int], absolute: bool) -> None:
    """host_name accepts a name (its quick check or its label loop) when dnspython can encode
    it, and names a fault otherwise (the first in label order, which may not be the one
    dnspython names when there are several)."""
    text = ".".join("x" * length for length in lengths) + ("." if absolute else "")
    assume(text not in ("", "."))  # no name, and the root: not label limits
    try:
        dns.name.from_text(text)
    except (dns.name.EmptyLabel, dns.name.LabelTooLong, dns.name.NameTooLong):
        with pytest.raises(InvalidNameError) as raised:
            host_name(text)
        message = str(raised.value)
        assert any(fault in message for fault in ("empty label", "label of", "octets long"))
    else:
        assert host_name(text).ascii == text


@pytest.mark.parametrize("owner_of_extra", ["zone", "question", "answer"])
def test_remembered_sections_are_those_of_each_reply(owner_of_extra: str) -> None:
    """Replies for names of the same length in one zone have the same authority and
    additional octets; what those decode to is remembered (wire._remembered_tail) only when
    their pointers reach nothing but the zone's part of the question. A record owned by the
    question's name itself, or pointing into the answers, is decoded for each reply."""
    for label in ("aa", "bb", "cc", "aa"):
        name = f"{label}.zone.example."
        query = dns.message.make_query(name, "CNAME", use_edns=0, payload=1232)
        response = dns.message.make_response(query)
        target = f"{label}-target.zone.example."
        response.answer.append(dns.rrset.from_text(name, 60, "IN", "CNAME", target))
        response.authority.append(
            dns.rrset.from_text("zone.example.", 300, "IN", "NS", "ns1.zone.example.")
        )
        extra = {"zone": "ns1.zone.example.", "question": name, "answer": target}[owner_of_extra]
        response.additional.append(dns.rrset.from_text(extra, 300, "IN", "A", "127.0.0.1"))
        wire = response.to_wire()
        end = 12 + question_length(wire)
        shortcut = parse_reply(wire, asked=(name, end))
        general = parse_reply(wire)
        assert shortcut == general
        assert [record.name for record in shortcut.additional] == [extra]
