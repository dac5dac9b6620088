"""Output for `netkit conv` results: a detail block for one value; for a batch, a table or a
JSON array written row by row as the results come."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import chain, islice
from typing import TYPE_CHECKING, TypeVar

from netkit.conv import AddressResult, ByteOrderResult, CidrInfo, Family
from netkit.render.output import emit_details, emit_json, emit_json_document_array

if TYPE_CHECKING:  # the subnet commands import these; `conv ip` should not
    from netkit.conv.sockaddr import SockaddrField, SockaddrResult
    from netkit.conv.subnets import CidrBlock, ContainsResult, PlanEntry
    from netkit.render.rows import Column

R = TypeVar("R")


def _with_hex(value: int | None, hex_text: str | None) -> str | None:
    return None if value is None else f"{value} ({hex_text})"


def _error(message: str | None) -> object:
    """A failure's message, in red in a table."""
    from netkit.render.rows import Styled

    return None if message is None else Styled(message, "red")


def byte_order_line(result: ByteOrderResult) -> str:
    """The reference's own line: `host port: 0x1f90 -> network: 0x901f`."""
    what = "port" if result.bits == 16 else "addr"
    if result.function.startswith("ntoh"):
        return f"network {what}: {result.network_hex} -> host: {result.host_hex}"
    return f"host {what}: {result.host_hex} -> network: {result.network_hex}"


def _render_batch(
    results: Iterable[R],
    *,
    as_json: bool,
    show_one: Callable[[R], None],
    show_table: Callable[[Iterable[R]], None],
) -> None:
    """One result prints its detail block; several stream as a table or a JSON array. Only
    the first two are looked at before anything is printed."""
    stream = iter(results)
    head = list(islice(stream, 2))
    if as_json:
        emit_json_document_array(chain(head, stream))
    elif len(head) == 1:
        show_one(head[0])
    elif head:
        show_table(chain(head, stream))


def render_byte_order(results: Iterable[ByteOrderResult], *, as_json: bool) -> None:
    _render_batch(results, as_json=as_json, show_one=show_byte_order, show_table=byte_order_table)


def render_addresses(results: Iterable[AddressResult], *, as_json: bool) -> None:
    _render_batch(results, as_json=as_json, show_one=show_address, show_table=address_table)


def show_byte_order(result: ByteOrderResult) -> None:
    """The detail block of one conversion."""
    network_label = f"{result.function}()" if result.function.startswith("hton") else "network"
    rows: list[tuple[str, object]] = [
        ("host value", _with_hex(result.host, result.host_hex)),
        (network_label, _with_hex(result.network, result.network_hex)),
        ("wire bytes", result.wire),
        ("host byte order", result.byteorder),
    ]
    if result.ipv4 is not None:
        rows.append(("as IPv4", result.ipv4))
    emit_details(byte_order_line(result), rows)


def byte_order_table(results: Iterable[ByteOrderResult]) -> None:
    """A row per conversion, written as they come."""
    from netkit.render.rows import row_stream

    stream = iter(results)
    first = next(stream, None)
    if first is None:
        return
    with_ipv4 = first.bits == 32  # only a 32-bit value stands for an IPv4 address
    columns = ["input", "host", "network", "wire bytes"]
    columns += ["IPv4", "error"] if with_ipv4 else ["error"]
    title = f"{first.function}() on a {first.byteorder} host"
    with row_stream(columns, title=title) as add:
        for r in chain([first], stream):
            row: list[object] = [r.input, r.host_hex, r.network_hex, r.wire]
            if with_ipv4:
                row.append(r.ipv4)
            row.append(_error(r.error))
            add(row)


def _address_rows(result: AddressResult) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = [("family", result.family), ("canonical", result.canonical)]
    if result.family == "IPv6":
        rows.append(("expanded", result.expanded))
    if result.scope_id is not None:
        rows.append(("scope id", result.scope_id))
    rows += [
        ("packed", result.packed),
        ("integer", _with_hex(result.integer, result.integer_hex)),
        ("binary", result.binary),
        ("reverse DNS", result.reverse_pointer),
        ("kind", f"{result.kind} ({result.kind_reference})"),
    ]
    if result.embedded_ipv4 is not None:
        rows.append(("embedded IPv4", result.embedded_ipv4))
    cidr = result.cidr
    if cidr is not None:
        rows += [
            ("network", cidr.network),
            ("netmask", cidr.netmask),
            ("wildcard", cidr.wildcard),
            ("broadcast", cidr.broadcast),
            ("first host", cidr.first_host),
            ("last host", cidr.last_host),
            ("hosts", cidr.host_count),
            ("addresses", cidr.address_count),
        ]
    return rows


def address_line(result: AddressResult) -> str:
    """The reference's inet-conv line: `IPv4: 192.168.1.1 (0xc0a80101)`, `IPv6: ::1`."""
    if result.family == "IPv4":
        return f"IPv4: {result.canonical} ({result.integer_hex})"
    return f"IPv6: {result.canonical}"  # the reference prints no integer for IPv6


def show_address(result: AddressResult) -> None:
    """The detail block of one address."""
    emit_details(address_line(result), _address_rows(result))


def address_table(results: Iterable[AddressResult]) -> None:
    """A row per address, written as they come."""
    from netkit.render.rows import row_stream

    columns = ("input", "family", "canonical", "integer", "kind", "network", "error")
    with row_stream(columns) as add:
        for r in results:
            add(
                (
                    r.input,
                    r.family,
                    r.canonical if r.scope_id is None else f"{r.canonical}%{r.scope_id}",
                    r.integer_hex,
                    r.kind,
                    r.cidr and r.cidr.network,
                    _error(r.error),
                )
            )


# ---------------------------------------------------------------------------------------------
# Subnet planning


def _subnet_cells(subnet: CidrInfo, *, with_broadcast: bool) -> list[object]:
    cells: list[object] = [subnet.network, subnet.first_host, subnet.last_host]
    if with_broadcast:
        cells.append(subnet.broadcast)
    cells.append(subnet.host_count)
    return cells


def _subnet_columns(with_broadcast: bool) -> list[Column | str]:
    from netkit.render.rows import Column

    columns: list[Column | str] = ["subnet", "first host", "last host"]
    if with_broadcast:
        columns.append("broadcast")
    columns.append(Column("hosts", justify="right"))
    return columns


def render_subnets(
    subnets: Iterable[CidrInfo], *, as_json: bool, family: Family | None, title: str
) -> None:
    """The subnets of a split, streamed (there can be millions). ``family`` None: both."""
    if as_json:
        emit_json_document_array(subnets)
        return
    from netkit.render.rows import row_stream

    with_broadcast = family != "IPv6"  # IPv6 has no broadcast address
    with row_stream(_subnet_columns(with_broadcast), title=title) as add:
        for subnet in subnets:
            add(_subnet_cells(subnet, with_broadcast=with_broadcast))


def render_plan(entries: Sequence[PlanEntry], *, as_json: bool, family: Family) -> None:
    """A variable-length plan: each allocated subnet with the hosts it was for, then free."""
    if as_json:
        emit_json_document_array(entries)
        return
    from netkit.render.rows import Column, Styled, row_stream

    with_broadcast = family == "IPv4"
    columns = [Column("for hosts", justify="right"), *_subnet_columns(with_broadcast)]
    with row_stream(columns, title="the plan, largest first, and what is left free") as add:
        for entry in entries:
            if entry.subnet is None:
                continue
            wanted = (
                Styled("free", "dim") if entry.requested_hosts is None else entry.requested_hosts
            )
            add([wanted, *_subnet_cells(entry.subnet, with_broadcast=with_broadcast)])


def render_blocks(blocks: Iterable[CidrBlock], *, as_json: bool) -> None:
    """CIDR blocks of a range or an aggregate, with the addresses each spans."""
    if as_json:
        emit_json_document_array(blocks)
        return
    from netkit.render.rows import Column, row_stream

    columns: list[Column | str] = ["network", "first address", "last address"]
    columns.append(Column("addresses", justify="right"))
    with row_stream(columns) as add:
        for block in blocks:
            add([block.network, block.first_address, block.last_address, block.address_count])


def render_contains(results: Iterable[ContainsResult], *, as_json: bool) -> None:
    """A row per address: inside the network or not (or why it could not be read)."""
    if as_json:
        emit_json_document_array(results)
        return
    from netkit.render.rows import Styled, row_stream

    with row_stream(["address", "network", "inside", "error"]) as add:
        for result in results:
            inside = None
            if result.contained is not None:
                inside = Styled("yes", "green") if result.contained else Styled("no", "red")
            add([result.input, result.network, inside, _error(result.error)])


# ---------------------------------------------------------------------------------------------
# sockaddr


def _shown_bytes(field: SockaddrField) -> str | None:
    """A run of zero padding as a count (the exact bytes are in --json); other bytes in full."""
    if field.padding and field.size and field.size > 8:
        return f"00 ... ({field.size} zero bytes)"
    return field.bytes


def render_sockaddr(result: SockaddrResult, *, as_json: bool) -> None:
    """The structure field by field, then its hex for copying and the socklen_t to pass."""
    if as_json:
        emit_json(result)
        return
    from netkit.render.output import emit_lines
    from netkit.render.rows import Column, row_stream

    emit_lines([f"struct {result.struct} ({result.family}), {result.layout} layout: "
                f"sizeof {result.size} bytes"])  # fmt: skip
    columns: list[Column | str] = [
        Column("offset", justify="right"),
        Column("size", justify="right"),
        "field",
        "C type",
        "byte order",
        "value",
        "bytes",
    ]
    with row_stream(columns) as add:
        for field in result.fields or ():
            order = field.byte_order or ("-" if field.padding else "bytes")
            add([field.offset, field.size, field.name, field.c_type, order, field.value,
                 _shown_bytes(field)])  # fmt: skip
    socklen = f"socklen_t: {result.socklen} (the length bind(2) and connect(2) take)"
    emit_lines([f"hex:       {result.hex}", socklen])
