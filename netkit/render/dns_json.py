"""The JSON text of a --dns result, written from a template when its values are plain.

A batch writes hundreds of thousands of these, and json's encoder spends most of its time on
the nested dataclasses (a callback and a dict for the result, each record and the EDNS), about
four times what filling a template costs. The template is used only when every string in the
result is printable ASCII without a quote or a backslash, the strings JSON writes as they are;
any other result goes through json_line, the general writer, so the two are the same text
(tests/render/test_dns_json.py compares them on plain and hostile results alike).
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from netkit.render.output import json_line

if TYPE_CHECKING:
    from netkit.resolve.query import DnsResult
    from netkit.resolve.wire import Edns, Record

# The field order of DnsResult, Record and Edns, as json_line writes them.
_RECORD = '{{"name": "{}", "type": "{}", "ttl": {}, "data": "{}", "rdclass": "{}"}}'
_RESULT = (
    '{{"name": "{}", "qname": "{}", "unicode_name": {}, "type": "{}", "server": {}, '
    '"port": {}, "transport": "{}", "rcode": {}, "id": {}, "flags": [{}], "answers": [{}], '
    '"authority": [{}], "additional": [{}], "edns": {}, "query_time_ms": {}, "size": {}, '
    '"error": {}, "rdclass": "{}"}}'
)


def _plain(texts: list[str]) -> bool:
    """Whether JSON writes every one of texts as it is, between quotes (and json_safe leaves
    it alone): printable ASCII, no quote, no backslash. One test over all of them at once."""
    joined = "".join(texts)
    return joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined


def _string(text: str | None) -> str:
    return "null" if text is None else '"' + text + '"'


def _number(value: float | None) -> str:
    # repr() is how json writes an int and a finite float.
    return "null" if value is None else repr(value)


def _records(records: Sequence["Record"]) -> str:
    return ", ".join([_RECORD.format(r.name, r.type, r.ttl, r.data, r.rdclass) for r in records])


def _edns(edns: "Edns | None") -> str:
    if edns is None:
        return "null"
    dnssec_ok = "true" if edns.dnssec_ok else "false"
    return (f'{{"version": {edns.version}, "udp_size": {edns.udp_size}, '
            f'"dnssec_ok": {dnssec_ok}, "options": []}}')  # fmt: skip


def dns_json_line(result: "DnsResult") -> str:
    """json_line(result): the same text, from the template when the values allow it."""
    r = result
    if r.edns is not None and r.edns.options:  # decoded options (--nsid, ...): rare in a batch
        return json_line(result)
    texts = [r.name, r.qname, r.type, r.transport, r.rdclass, *r.flags]
    texts += [text for text in (r.unicode_name, r.server, r.rcode, r.error) if text is not None]
    for record in (*r.answers, *r.authority, *r.additional):
        texts += (record.name, record.type, record.data, record.rdclass)
        if type(record.ttl) is not int:
            return json_line(result)
    if not _plain(texts):
        return json_line(result)
    return _RESULT.format(
        r.name,
        r.qname,
        _string(r.unicode_name),
        r.type,
        _string(r.server),
        _number(r.port),
        r.transport,
        _string(r.rcode),
        _number(r.id),
        ", ".join(['"' + flag + '"' for flag in r.flags]),
        _records(r.answers),
        _records(r.authority),
        _records(r.additional),
        _edns(r.edns),
        _number(r.query_time_ms),
        _number(r.size),
        _string(r.error),
        r.rdclass,
    )
