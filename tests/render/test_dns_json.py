"""The template writer of --dns results writes what the general JSON writer writes."""

import json
from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netkit.render.dns_json import _edns, _record_text, _result_text, dns_json_line
from netkit.render.output import json_line
from netkit.resolve.query import DnsResult
from netkit.resolve.wire import Edns, Record
from tests.render.hostile import SHORT_CORPUS, assert_safe

# Plain names and data (the template's case) mixed with hostile ones (the general writer's).
texts = st.one_of(
    st.sampled_from(["www.example.", "10.0.0.1", "2001:db8::1", "IN", "A", "a b", "x.", ""]),
    st.sampled_from(SHORT_CORPUS),
    st.text(max_size=12),
)
numbers = st.one_of(st.none(), st.integers(-(2**40), 2**40))
records = st.builds(
    Record,
    name=texts,
    type=texts,
    ttl=st.integers(0, 2**32 - 1),
    data=texts,
    rdclass=texts,
)
record_lists = st.lists(records, max_size=3)
results = st.builds(
    DnsResult,
    name=texts,
    qname=texts,
    unicode_name=st.none() | texts,
    type=texts,
    server=st.none() | texts,
    port=st.none() | st.integers(0, 65535),
    transport=st.sampled_from(["udp", "tcp", "tls", "https"]) | texts,
    rcode=st.none() | texts,
    id=numbers,
    flags=st.lists(texts, max_size=4).map(tuple),
    answers=record_lists,
    authority=record_lists,
    additional=record_lists,
    edns=st.none() | st.builds(Edns, st.integers(0, 255), st.integers(0, 65535), st.booleans()),
    query_time_ms=st.none() | st.floats(0, 1e6, allow_nan=False) | st.just(0.125),
    size=numbers,
    error=st.none() | texts,
)


@given(results)
def test_the_template_writes_what_json_line_writes(result: DnsResult) -> None:
    line = dns_json_line(result)
    assert line == json_line(result)
    assert json.loads(line)["name"] == result.name
    assert_safe(line)


# A batch's results share their flags, sections and OPT record (the decoder's objects): the
# second result with the same ones takes the text written for the first, around its own values.
SHARED_FLAGS = ("qr", "aa", "rd")
SHARED_AUTHORITY = [Record("bulk.test.", "NS", 300, "ns1.bulk.test.")]
SHARED_ADDITIONAL = [Record("ns1.bulk.test.", "A", 300, "127.0.0.1")]
SHARED_EDNS = Edns(0, 1232, False)
batch_results = st.builds(
    DnsResult,
    name=texts,
    qname=texts,
    unicode_name=st.none() | texts,
    type=st.sampled_from(["A", "AAAA"]),
    server=st.just("127.0.0.1"),
    port=st.just(53),
    transport=st.just("udp"),
    rcode=st.sampled_from(["NOERROR", "NXDOMAIN"]),
    id=numbers,
    flags=st.just(SHARED_FLAGS),
    answers=record_lists,
    authority=st.just(SHARED_AUTHORITY) | st.builds(list),
    additional=st.just(SHARED_ADDITIONAL),
    edns=st.just(SHARED_EDNS),
    query_time_ms=st.none() | st.floats(0, 1e6, allow_nan=False),
    size=numbers,
    error=st.none() | texts,
)


@given(st.lists(batch_results, min_size=2, max_size=6))
def test_results_that_share_a_shape_write_what_json_line_writes(results: list[DnsResult]) -> None:
    for result in results * 2:  # each shape met again
        line = dns_json_line(result)
        assert line == json_line(result)
        assert_safe(line)


def test_a_shared_shape_is_not_taken_by_a_result_with_other_sections() -> None:
    first = DnsResult("a.test.", "a.test.", None, "A", "127.0.0.1", 53, "udp", "NOERROR",
                      flags=SHARED_FLAGS, authority=SHARED_AUTHORITY, edns=SHARED_EDNS)  # fmt: skip
    dns_json_line(first)
    dns_json_line(first)
    other = [Record("other.test.", "NS", 60, "ns.other.test.")]
    second = DnsResult("b.test.", "b.test.", None, "A", "127.0.0.1", 53, "udp", "NOERROR",
                       flags=SHARED_FLAGS, authority=other, edns=SHARED_EDNS)  # fmt: skip
    assert dns_json_line(second) == json_line(second)


def test_a_plain_result_takes_the_template(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = Record("h1.bulk.test.", "A", 300, "10.0.0.1")
    result = DnsResult(
        "h1.bulk.test.", "h1.bulk.test.", None, "A", "127.0.0.1", 53, "udp", "NOERROR",
        id=7, flags=("qr", "aa"), answers=[answer], edns=Edns(0, 1232, False),
        query_time_ms=0.25, size=60,
    )  # fmt: skip
    expected = json_line(result)

    def general(value: object) -> str:
        raise AssertionError("the general writer was used")

    monkeypatch.setattr("netkit.render.dns_json.json_line", general)
    assert dns_json_line(result) == expected
    assert json.loads(expected)["answers"][0]["data"] == "10.0.0.1"


def test_the_templates_name_every_field_in_the_dataclasses_order() -> None:
    # A field added to DnsResult, Record or Edns must be added to the template too: the
    # template would otherwise leave it out of every plain line without a word. Filled with
    # 0s, a template is JSON.
    assert list(json.loads(_result_text(*["0"] * 18))) == [f.name for f in fields(DnsResult)]
    record = json.loads(_record_text("0", "0", 0, "0", "0"))
    assert list(record) == [f.name for f in fields(Record)]
    assert list(json.loads(_edns(Edns(0, 1232, True)))) == [f.name for f in fields(Edns)]
