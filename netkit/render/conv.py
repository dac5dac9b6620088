"""Output for `netkit conv` results: a detail block for one value, a table for a batch."""

from collections.abc import Sequence

from netkit.conv import AddressResult, ByteOrderResult
from netkit.render.output import emit_details, emit_json


def _with_hex(value: int | None, hex_text: str | None) -> str | None:
    return None if value is None else f"{value} ({hex_text})"


def byte_order_line(result: ByteOrderResult) -> str:
    """The reference's own line: `host port: 0x1f90 -> network: 0x901f`."""
    what = "port" if result.bits == 16 else "addr"
    if result.function.startswith("ntoh"):
        return f"network {what}: {result.network_hex} -> host: {result.host_hex}"
    return f"host {what}: {result.host_hex} -> network: {result.network_hex}"


def render_byte_order(results: Sequence[ByteOrderResult], *, as_json: bool) -> None:
    if as_json:
        emit_json(results)
    elif len(results) == 1 and results[0].error is None:
        result = results[0]
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
    else:
        from netkit.render.tables import error_text, records_table, show

        with_ipv4 = results[0].bits == 32  # only a 32-bit value stands for an IPv4 address
        columns = ["input", "host", "network", "wire bytes"]
        columns += ["IPv4", "error"] if with_ipv4 else ["error"]
        table_rows: list[list[object]] = []
        for r in results:
            row: list[object] = [r.input, r.host_hex, r.network_hex, r.wire]
            row += [r.ipv4, error_text(r.error)] if with_ipv4 else [error_text(r.error)]
            table_rows.append(row)
        title = f"{results[0].function}() on a {results[0].byteorder} host"
        show(records_table(columns, table_rows, title=title))


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


def render_addresses(results: Sequence[AddressResult], *, as_json: bool) -> None:
    if as_json:
        emit_json(results)
    elif len(results) == 1 and results[0].error is None:
        result = results[0]
        emit_details(address_line(result), _address_rows(result))
    else:
        from netkit.render.tables import error_text, records_table, show

        columns = ("input", "family", "canonical", "integer", "kind", "network", "error")
        show(
            records_table(
                columns,
                (
                    (
                        r.input,
                        r.family,
                        r.canonical if r.scope_id is None else f"{r.canonical}%{r.scope_id}",
                        r.integer_hex,
                        r.kind,
                        r.cidr and r.cidr.network,
                        error_text(r.error),
                    )
                    for r in results
                ),
            )
        )
