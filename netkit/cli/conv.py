"""`netkit conv`: byte order (htons/htonl), address conversion (inet_pton/inet_ntop), CIDR."""

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import chain, islice
from typing import Generic, Literal, Protocol, TypeVar

import click

from netkit.cli.options import json_option, stream_stdin
from netkit.conv import analyze_address, convert_byte_order
from netkit.errors import ExitStatus, NetkitError
from netkit.render.conv import render_addresses, render_byte_order


class _Result(Protocol):
    @property
    def error(self) -> str | None: ...


R = TypeVar("R", bound=_Result)


@click.group()
def conv() -> None:
    """Convert byte order and addresses the way the C socket API does.

    \b
      netkit conv port 8080              htons/ntohs of a 16-bit value
      netkit conv long 0x7f000001        htonl/ntohl of a 32-bit value
      netkit conv ip 192.168.1.1         inet_pton/inet_ntop and what the address is
      netkit conv ip 10.1.2.3/8          ... plus ipcalc-style network facts
      netkit conv ip --from int 3232235777    an integer back to text
      netkit conv ip --from packed c0a80101   packed network-order bytes back to text

    Every subcommand takes several values, or '-' to read one per line from stdin.
    """


class _Tally(Generic[R]):
    """Passes results through while counting the failed ones, so a stream that is never held
    in memory can still decide the exit status at its end."""

    def __init__(self, results: Iterable[R]) -> None:
        self._results = iter(results)
        self.failed = 0

    def __iter__(self) -> Iterator[R]:
        for result in self._results:
            if result.error is not None:
                self.failed += 1
            yield result


def _show_batch(
    results: Iterable[R],
    render: Callable[[Iterable[R]], None],
    *,
    as_json: bool,
    empty: str,
) -> int:
    """Render the results as they come and return the exit status.

    Only the first two results are looked at before rendering starts, so stdin is read as the
    rows are written. A lone bad input is an error message (after its JSON, with --json); in
    a batch it is a row. Either way the exit status is 1.
    """
    tally = _Tally(results)
    stream = iter(tally)
    head = list(islice(stream, 2))
    if not head:
        raise click.UsageError(empty)
    lone_failure = head[0].error if len(head) == 1 else None
    if lone_failure is None or as_json:
        render(chain(head, stream))
    if lone_failure is not None:
        raise NetkitError(lone_failure)
    return ExitStatus.FAILURE if tally.failed else ExitStatus.OK


def _byte_order_command(
    bits: Literal[16, 32], to_host: bool, values: tuple[str, ...], as_json: bool
) -> int:
    return _show_batch(
        (convert_byte_order(v, bits, to_host=to_host) for v in stream_stdin(values)),
        partial(render_byte_order, as_json=as_json),
        as_json=as_json,
        empty="no values given (stdin was empty)",
    )


_NTOH_HELP = "The value is in network byte order: convert it to host order ({}) instead."


@conv.command()
@click.argument("values", nargs=-1, required=True, metavar="VALUE...")
@click.option("--ntoh", "to_host", is_flag=True, help=_NTOH_HELP.format("ntohs"))
@json_option
def port(values: tuple[str, ...], to_host: bool, as_json: bool) -> int:
    """htons/ntohs: a 16-bit value (a port) in host and network byte order.

    VALUE is decimal, 0x hex, 0o octal or 0b binary, from 0 to 65535; '-' reads stdin.
    """
    return _byte_order_command(16, to_host, values, as_json)


@conv.command(name="long")
@click.argument("values", nargs=-1, required=True, metavar="VALUE...")
@click.option("--ntoh", "to_host", is_flag=True, help=_NTOH_HELP.format("ntohl"))
@json_option
def long_(values: tuple[str, ...], to_host: bool, as_json: bool) -> int:
    """htonl/ntohl: a 32-bit value in host and network byte order, and the IPv4 address it is.

    VALUE is decimal, 0x hex, 0o octal or 0b binary, from 0 to 4294967295; '-' reads stdin.
    """
    return _byte_order_command(32, to_host, values, as_json)


@conv.command()
@click.argument("addresses", nargs=-1, required=True, metavar="ADDRESS[/PREFIX]...")
@click.option(
    "-F",
    "--from",
    "parse_as",
    type=click.Choice(["text", "int", "packed"]),
    default="text",
    show_default=True,
    help="How to read ADDRESS: text as inet_pton accepts it, an integer "
    "(decimal, 0x, 0o, 0b), or packed network-order bytes in hex (c0a80101, c0:a8:01:01).",
)
@click.option(
    "-4", "family", flag_value="IPv4", help="Read integers as IPv4 (the default below 2**32)."
)
@click.option("-6", "family", flag_value="IPv6", help="Read integers as IPv6; only accept IPv6.")
@json_option
def ip(
    addresses: tuple[str, ...],
    parse_as: Literal["text", "int", "packed"],
    family: Literal["IPv4", "IPv6"] | None,
    as_json: bool,
) -> int:
    """inet_pton/inet_ntop: an address as text, bytes, integer and binary, and what kind it is.

    \b
    With /PREFIX (or an IPv4 /NETMASK) it also shows the network, netmask, wildcard,
    broadcast, first and last host and the host count, like ipcalc (/31 and /127 are
    point-to-point links: both addresses are hosts, RFC 3021 and RFC 6164).

    Text input is accepted exactly as inet_pton accepts it (no "1.2.3", no "01.2.3.4");
    an IPv6 scope id (fe80::1%eth0) is shown separately. '-' reads addresses from stdin.
    """
    return _show_batch(
        (
            analyze_address(text, parse_as=parse_as, family=family)
            for text in stream_stdin(addresses)
        ),
        partial(render_addresses, as_json=as_json),
        as_json=as_json,
        empty="no addresses given (stdin was empty)",
    )
