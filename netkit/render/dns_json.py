"""The JSON text of a --dns result, written from a template when its values are plain.

A batch writes hundreds of thousands of these, and json's encoder spends most of its time on
the nested dataclasses (a callback and a dict for the result, each record and the EDNS), about
four times what filling a template costs. The template is used only when every string in the
result is printable ASCII without a quote or a backslash, the strings JSON writes as they are;
any other result goes through json_line, the general writer, so the two are the same text
(tests/render/test_dns_json.py compares them on plain and hostile results alike).
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from netkit.render.output import json_line

if TYPE_CHECKING:
    from netkit.resolve.query import DnsResult
    from netkit.resolve.wire import Edns, Record

# The field order of DnsResult, Record and Edns, as json_line writes them. f-strings rather than
# str.format templates: a third of the cost (0.46 us against 1.3 us for a result, measured).


def _record_text(name: str, rdtype: str, ttl: int, data: str, rdclass: str) -> str:
    return (f'{{"name": "{name}", "type": "{rdtype}", "ttl": {ttl}, "data": "{data}", '
            f'"rdclass": "{rdclass}"}}')  # fmt: skip


def _result_text(  # noqa: PLR0913, PLR0917  # a value for each field of DnsResult, already JSON text
    name: str, qname: str, unicode_name: str, rdtype: str, server: str, port: str,
    transport: str, rcode: str, qid: str, flags: str, answers: str, authority: str,
    additional: str, edns: str, query_time_ms: str, size: str, error: str, rdclass: str,
) -> str:  # fmt: skip
    return (
        f'{{"name": "{name}", "qname": "{qname}", "unicode_name": {unicode_name}, '
        f'"type": "{rdtype}", "server": {server}, "port": {port}, "transport": "{transport}", '
        f'"rcode": {rcode}, "id": {qid}, "flags": [{flags}], "answers": [{answers}], '
        f'"authority": [{authority}], "additional": [{additional}], "edns": {edns}, '
        f'"query_time_ms": {query_time_ms}, "size": {size}, "error": {error}, '
        f'"rdclass": "{rdclass}"}}'
    )


def _plain(texts: list[str]) -> bool:
    """Whether JSON writes every one of texts as it is, between quotes (and json_safe leaves
    it alone): printable ASCII, no quote, no backslash. One test over all of them at once."""
    joined = "".join(texts)
    return joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined


def _records(records: Sequence["Record"]) -> str | None:
    """The records' objects, or None when a value is not plain (then json_line writes all)."""
    if not records:
        return ""
    texts: list[str] = []
    for r in records:
        if type(r.ttl) is not int:
            return None
        texts += (r.name, r.type, r.data, r.rdclass)
    if not _plain(texts):
        return None
    return ", ".join([_record_text(r.name, r.type, r.ttl, r.data, r.rdclass) for r in records])


@lru_cache(maxsize=256)  # a batch has a few header flag sets and OPT records: each written once
def _flags(flags: tuple[str, ...]) -> str | None:
    """The flags as JSON strings, or None when one is not plain."""
    return ", ".join(['"' + flag + '"' for flag in flags]) if _plain(list(flags)) else None


@lru_cache(maxsize=256)
def _edns(edns: "Edns | None") -> str:
    if edns is None:
        return "null"
    dnssec_ok = "true" if edns.dnssec_ok else "false"
    return (f'{{"version": {edns.version}, "udp_size": {edns.udp_size}, '
            f'"dnssec_ok": {dnssec_ok}, "options": []}}')  # fmt: skip


def _string(text: str | None) -> str:
    return "null" if text is None else '"' + text + '"'


def _number(value: float | None) -> str:
    # repr() is how json writes an int and a finite float.
    return "null" if value is None else repr(value)


# A line's own values, in a shape's text: printable ASCII, which a shape's values are, has no NUL.
_VALUE = "\x00"


class _Shape(NamedTuple):
    """What the results of a batch mostly share: every field but the name, the id, the answers,
    the time, the size and the error, written once as the text around those. The objects its
    text was written from are held, and a result takes the shape only if it has those very
    objects (the decoder shares one list for the sections it remembers, wire._remembered_tail,
    and one tuple or Edns for each set of flags or OPT values)."""

    flags: tuple[str, ...]
    authority: Sequence["Record"]
    additional: Sequence["Record"]
    edns: "Edns | None"
    pieces: tuple[str, ...]  # the 9 texts around the 8 values of a line


# Shapes by the identity of their objects and their other values; a key met once is None, and
# is given a shape the second time (its sections shared, not decoded for each reply). Bounded:
# emptied when full.
_SHAPES: dict[tuple[object, ...], _Shape | None] = {}
_SHAPES_MAX = 256


def _shape(r: "DnsResult") -> _Shape | None:
    """r's shape, or None when one of its shared values is not plain (json_line writes it)."""
    flags = _flags(r.flags)
    authority = _records(r.authority)
    additional = _records(r.additional)
    if flags is None or authority is None or additional is None:
        return None
    if not _plain([r.type, r.transport, r.rdclass, r.server or "", r.rcode or ""]):
        return None
    v = _VALUE
    text = _result_text(
        v, v, v, r.type, _string(r.server), _number(r.port), r.transport, _string(r.rcode),
        v, flags, v, authority, additional, _edns(r.edns), v, v, v, r.rdclass,
    )  # fmt: skip
    return _Shape(r.flags, r.authority, r.additional, r.edns, tuple(text.split(v)))


def dns_json_line(result: "DnsResult") -> str:
    """json_line(result): the same text, from the template when the values allow it."""
    r = result
    if r.edns is not None and r.edns.options:  # decoded options (--nsid, ...): rare in a batch
        return json_line(result)
    key = (id(r.flags), id(r.authority) if r.authority else 0,
           id(r.additional) if r.additional else 0, id(r.edns), r.type, r.server, r.port,
           r.transport, r.rcode, r.rdclass)  # fmt: skip
    shape = _SHAPES.get(key)
    if (
        shape is None
        or shape.flags is not r.flags
        or (r.authority and shape.authority is not r.authority)
        or (r.additional and shape.additional is not r.additional)
        or shape.edns is not r.edns
    ):
        seen = key in _SHAPES
        if len(_SHAPES) >= _SHAPES_MAX:
            _SHAPES.clear()
        shape = _SHAPES[key] = _shape(r) if seen else None
        if shape is None:
            return _line(r)
    texts = [r.name, r.qname]
    texts += [text for text in (r.unicode_name, r.error) if text is not None]
    answers = _answers(r, texts)
    if answers is None:
        return json_line(result)
    p0, p1, p2, p3, p4, p5, p6, p7, p8 = shape.pieces
    # _string and _number written out (once a line): a number as an f-string writes it, which
    # for an int and a float is repr(), as json writes them (a finite float: a time, here).
    unicode_name = "null" if r.unicode_name is None else '"' + r.unicode_name + '"'
    qid: object = "null" if r.id is None else r.id
    query_time: object = "null" if r.query_time_ms is None else r.query_time_ms
    size: object = "null" if r.size is None else r.size
    error = "null" if r.error is None else '"' + r.error + '"'
    return (
        f"{p0}{r.name}{p1}{r.qname}{p2}{unicode_name}{p3}{qid}{p4}{answers}{p5}{query_time}"
        f"{p6}{size}{p7}{error}{p8}"
    )


def _line(r: "DnsResult") -> str:
    """dns_json_line(r) without a shape: every value tested and written for this line alone."""
    flags = _flags(r.flags)
    authority = _records(r.authority)
    additional = _records(r.additional)
    if flags is None or authority is None or additional is None:
        return json_line(r)
    texts = [r.name, r.qname, r.type, r.transport, r.rdclass]
    texts += [text for text in (r.unicode_name, r.server, r.rcode, r.error) if text is not None]
    answers = _answers(r, texts)
    if answers is None:
        return json_line(r)
    return _result_text(
        r.name, r.qname, _string(r.unicode_name), r.type, _string(r.server), _number(r.port),
        r.transport, _string(r.rcode), _number(r.id), flags, answers, authority, additional,
        _edns(r.edns), _number(r.query_time_ms), _number(r.size), _string(r.error), r.rdclass,
    )  # fmt: skip


def _answers(r: "DnsResult", texts: list[str]) -> str | None:
    """The objects of r's answers, or None when a value is not plain: theirs, or one of texts
    (the line's other values), tested together, one _plain a line."""
    for record in r.answers:
        if type(record.ttl) is not int:
            return None
        texts += (record.name, record.type, record.data, record.rdclass)
    if not _plain(texts):
        return None
    return ", ".join([_record_text(a.name, a.type, a.ttl, a.data, a.rdclass) for a in r.answers])
