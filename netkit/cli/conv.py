"""`netkit conv`: byte order (htons/htonl), address conversion (inet_pton/inet_ntop), CIDR."""

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from itertools import chain, islice
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar

import click

from netkit.cli.options import json_option, list_option, stream_stdin
from netkit.conv import analyze_address, convert_byte_order
from netkit.errors import ExitStatus, NetkitError
from netkit.render.conv import render_addresses, render_byte_order

if TYPE_CHECKING:  # the subnet commands import netkit.conv.subnets; `conv ip` does not
    from netkit.conv import ByteOrderResult, CidrInfo
    from netkit.conv.subnets import Network


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


def _has_error(result: _Result) -> bool:
    return result.error is not None


class _Tally(Generic[R]):
    """Passes results through while counting the failed ones, so a stream that is never held
    in memory can still decide the exit status at its end."""

    def __init__(self, results: Iterable[R], failed: Callable[[R], bool]) -> None:
        self._results = iter(results)
        self._is_failure = failed
        self.failed = 0

    def __iter__(self) -> Iterator[R]:
        for result in self._results:
            if self._is_failure(result):
                self.failed += 1
            yield result


def _show_batch(
    results: Iterable[R],
    render: Callable[[Iterable[R]], None],
    *,
    as_json: bool,
    empty: str,
    failed: Callable[[R], bool] = _has_error,
) -> int:
    """Render the results as they come and return the exit status.

    Only the first two results are looked at before rendering starts, so stdin is read as the
    rows are written. A lone bad input is an error message (after its JSON, with --json); in
    a batch it is a row. Either way the exit status is 1.
    """
    tally = _Tally(results, failed)
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
    bits: Literal[16, 32], to_host: bool, values: Iterable[str], as_json: bool
) -> int:
    return _show_batch(
        (_convert(v, bits, to_host) for v in stream_stdin(values)),
        partial(render_byte_order, as_json=as_json),
        as_json=as_json,
        empty="no values given (stdin was empty)",
    )


def _convert(text: str, bits: Literal[16, 32], to_host: bool) -> "ByteOrderResult":
    """A value, or for a 16-bit value a service name (http, ssh) read as its port number; the
    row keeps the name as its input."""
    if bits == 16 and text[:1].isalpha():
        from dataclasses import replace

        from netkit.cli.options import port_number

        try:
            number = port_number(text)
        except ValueError:
            pass
        else:
            return replace(convert_byte_order(str(number), bits, to_host=to_host), input=text)
    return convert_byte_order(text, bits, to_host=to_host)


def _unsigned(text: str, bits: Literal[16, 32], parse: Callable[[str, int], int]) -> int:
    if bits == 16 and text[:1].isalpha():
        from netkit.cli.options import port_number

        try:
            return port_number(text)
        except ValueError:
            pass
    return parse(text, bits)


_NTOH_HELP = "The value is in network byte order: convert it to host order ({}) instead."
show_c_option = click.option(
    "--show-c",
    is_flag=True,
    help="Print a complete C program that does this conversion (with the values filled in) "
    "instead of converting.",
)


def _refuse_json(as_json: bool) -> None:
    if as_json:
        raise click.UsageError("--show-c prints C source; it has no --json form")


def _print_byte_order_program(bits: Literal[16, 32], to_host: bool, values: tuple[str, ...]) -> int:
    from netkit.conv import ConversionError, parse_unsigned
    from netkit.showc.conv import byte_order_program

    try:
        numbers = [_unsigned(value, bits, parse_unsigned) for value in stream_stdin(values)]
    except ConversionError as error:
        raise click.BadParameter(str(error), param_hint="VALUE") from None
    sys.stdout.write(byte_order_program(numbers, bits, to_host=to_host))
    return ExitStatus.OK


@conv.command()
@click.argument("values", nargs=-1, required=True, metavar="VALUE...")
@click.option("--ntoh", "to_host", is_flag=True, help=_NTOH_HELP.format("ntohs"))
@json_option
@show_c_option
def port(values: tuple[str, ...], to_host: bool, as_json: bool, show_c: bool) -> int:
    """htons/ntohs: a 16-bit value (a port) in host and network byte order.

    VALUE is decimal, 0x hex, 0o octal or 0b binary, from 0 to 65535, or a service name
    such as http (its port, from /etc/services); '-' reads stdin.
    """
    if show_c:
        _refuse_json(as_json)
        return _print_byte_order_program(16, to_host, values)
    return _byte_order_command(16, to_host, values, as_json)


@conv.command(name="long")
@click.argument("values", nargs=-1, required=True, metavar="VALUE...")
@click.option("--ntoh", "to_host", is_flag=True, help=_NTOH_HELP.format("ntohl"))
@json_option
@show_c_option
def long_(values: tuple[str, ...], to_host: bool, as_json: bool, show_c: bool) -> int:
    """htonl/ntohl: a 32-bit value in host and network byte order, and the IPv4 address it is.

    VALUE is decimal, 0x hex, 0o octal or 0b binary, from 0 to 4294967295; '-' reads stdin.
    """
    if show_c:
        _refuse_json(as_json)
        return _print_byte_order_program(32, to_host, values)
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
@show_c_option
def ip(
    addresses: tuple[str, ...],
    parse_as: Literal["text", "int", "packed"],
    family: Literal["IPv4", "IPv6"] | None,
    as_json: bool,
    show_c: bool,
) -> int:
    """inet_pton/inet_ntop: an address as text, bytes, integer and binary, and what kind it is.

    \b
    With /PREFIX (or an IPv4 /NETMASK) it also shows the network, netmask, wildcard,
    broadcast, first and last host and the host count, like ipcalc (/31 and /127 are
    point-to-point links: both addresses are hosts, RFC 3021 and RFC 6164).

    Text input is accepted exactly as inet_pton accepts it (no "1.2.3", no "01.2.3.4");
    an IPv6 scope id (fe80::1%eth0) is shown separately. '-' reads addresses from stdin.
    """
    if show_c:
        _refuse_json(as_json)
        if parse_as != "text":
            raise click.UsageError("--show-c shows inet_pton, which reads addresses as text")
        from netkit.showc.conv import address_program

        sys.stdout.write(address_program(list(stream_stdin(addresses))))
        return ExitStatus.OK
    return _show_batch(
        (
            analyze_address(text, parse_as=parse_as, family=family)
            for text in stream_stdin(addresses)
        ),
        partial(render_addresses, as_json=as_json),
        as_json=as_json,
        empty="no addresses given (stdin was empty)",
    )


# ---------------------------------------------------------------------------------------------
# Subnet planning. netkit.conv.subnets is imported inside each command: `conv ip` never pays
# for it.

# More rows than this on a terminal is a mistake more often than a wish: ask for --force. A
# pipe gets them all, streamed.
TERMINAL_ROW_LIMIT = 65_536


@contextmanager
def _conversion_errors() -> Iterator[None]:
    """An input the core refuses is the command's error: one line, exit status 1."""
    from netkit.conv import ConversionError

    try:
        yield
    except ConversionError as error:
        raise NetkitError(str(error)) from None


@conv.command()
@click.argument("network", metavar="NET")
@click.argument("new_prefix", required=False, metavar="[/LEN]")
@click.option("--count", type=click.IntRange(min=1), help="Split into at least N equal subnets.")
@click.option(
    "--hosts",
    metavar="N[,N...]",
    help="One N: the smallest equal subnets that hold N hosts each. Several: a variable-length "
    "plan, a subnet for each, the largest first, and what is left free.",
)
@click.option(
    "--force", is_flag=True, help=f"Print more than {TERMINAL_ROW_LIMIT:,} subnets on a terminal."
)
@json_option
def split(
    network: str,
    new_prefix: str | None,
    *,
    count: int | None,
    hosts: str | None,
    force: bool,
    as_json: bool,
) -> int:
    """Split a network into subnets: /LEN, --count N or --hosts N[,N...].

    NET '-' reads networks from stdin, one a line, and splits each in turn (not for a plan).

    \b
      netkit conv split 10.0.0.0/22 /24            four /24s
      netkit conv split 10.0.0.0/22 --count 3      the fewest equal subnets, at least 3
      netkit conv split 10.0.0.0/22 --hosts 50     subnets of 50 hosts or more each
      netkit conv split 10.0.0.0/24 --hosts 100,50,20,2    a variable-length plan

    Each subnet shows its first and last host, broadcast and host count (a /31 or /127 holds
    two hosts, RFC 3021 and RFC 6164). Output streams; on a terminal more than 65,536 subnets
    need --force.
    """
    from netkit.conv.subnets import equal_prefix, parse_host_counts, parse_network, plan
    from netkit.render.conv import render_plan, render_subnets

    if sum(choice is not None for choice in (new_prefix, count, hosts)) != 1:
        raise click.UsageError("give one of /LEN, --count N or --hosts N[,N...]")
    with _conversion_errors():
        counts = parse_host_counts(hosts) if hosts is not None else []
        if len(counts) > 1:
            if network == "-":
                raise click.UsageError("a plan (--hosts N,N,...) is for one network, not '-'")
            parent = parse_network(network)
            render_plan(plan(parent, counts), as_json=as_json, family=parent.family)
            return ExitStatus.OK
        each_holds = counts[0] if counts else None
        rule = partial(equal_prefix, prefix=new_prefix, count=count, hosts=each_holds)
        limit = None if force or not sys.stdout.isatty() else TERMINAL_ROW_LIMIT
        if network == "-":  # each line's network in turn, checked as it comes
            subnets = (
                subnet
                for text in stream_stdin(("-",))
                for subnet in _split_within(parse_network(text), rule, limit)
            )
            render_subnets(subnets, as_json=as_json, family=None, title="split")
        else:  # checked before the first row: a refusal prints nothing else
            parent = parse_network(network)
            rows = _split_within(parent, rule, limit)
            render_subnets(rows, as_json=as_json, family=parent.family, title=f"split {parent}")
    return ExitStatus.OK


def _split_within(
    parent: "Network", rule: Callable[["Network"], int], limit: int | None
) -> Iterator["CidrInfo"]:
    """The subnets of ``parent`` (a generator), refused when there are more than ``limit``."""
    from netkit.conv.subnets import split as split_network
    from netkit.conv.subnets import subnet_count

    length = rule(parent)
    total = subnet_count(parent, length)
    if limit is not None and total > limit:
        raise click.UsageError(
            f"{parent} has {total:,} subnets of /{length}: add --force to print them all "
            "here, or send them to a pipe or a file"
        )
    return split_network(parent, length)


@conv.command(name="range")
@click.argument("first", metavar="FIRST")
@click.argument("last", required=False, metavar="LAST")
@json_option
def range_(first: str, last: str | None, as_json: bool) -> int:
    """The fewest CIDR blocks that cover exactly the addresses FIRST to LAST.

    'range -' reads ranges from stdin, one a line: FIRST LAST, or FIRST-LAST.
    """
    from netkit.conv.subnets import address_range, parse_range_line
    from netkit.render.conv import render_blocks

    if (first == "-") != (last is None):
        raise click.UsageError("give FIRST and LAST, or '-' alone to read ranges from stdin")
    with _conversion_errors():
        if last is not None:
            render_blocks(address_range(first, last), as_json=as_json)
        else:
            ranges = (parse_range_line(line) for line in stream_stdin(("-",)))
            blocks = (block for a, b in ranges for block in address_range(a, b))
            render_blocks(blocks, as_json=as_json)
    return ExitStatus.OK


@conv.command()
@click.argument("networks", nargs=-1, metavar="[NET...]")
@list_option(
    "--exclude",
    "excluded",
    metavar="NET",
    help="Take this network out of the result (comma list or repeatable).",
)
@json_option
def merge(networks: tuple[str, ...], excluded: tuple[str, ...], as_json: bool) -> int:
    """Aggregate networks and addresses into the fewest CIDR blocks.

    NET is an address or address/prefix; without NET (or with '-') they are read from stdin,
    one a line. IPv4 and IPv6 are kept apart, IPv4 first. Host bits of a network are cleared
    (10.1.2.3/8 is 10.0.0.0/8).
    """
    from netkit.conv.subnets import merge as merge_networks
    from netkit.render.conv import render_blocks

    with _conversion_errors():
        blocks = merge_networks(stream_stdin(networks or ("-",)), excluded)
    render_blocks(blocks, as_json=as_json)
    return ExitStatus.OK


@conv.command()
@click.argument("network", metavar="NET")
@click.argument("addresses", nargs=-1, required=True, metavar="ADDRESS...")
@json_option
def contains(network: str, addresses: tuple[str, ...], as_json: bool) -> int:
    """Whether each ADDRESS (or network) lies inside NET: exit status 0 when all do.

    \b
      netkit conv contains 10.0.0.0/8 10.1.2.3 192.168.0.1     exit status 1
      netkit conv contains 2001:db8::/32 - < addresses.txt

    '-' reads addresses from stdin; an address of the other family is not inside.
    """
    from netkit.conv.subnets import contains as contains_address
    from netkit.conv.subnets import parse_network
    from netkit.render.conv import render_contains

    with _conversion_errors():
        parent = parse_network(network)
    return _show_batch(
        (contains_address(parent, text) for text in stream_stdin(addresses)),
        partial(render_contains, as_json=as_json),
        as_json=as_json,
        empty="no addresses given (stdin was empty)",
        failed=lambda result: result.contained is not True,
    )


def _address_and_port(address: str, port: str | None) -> tuple[str, str | None]:
    """ADDRESS PORT, or ADDRESS:PORT and [V6]:PORT as one argument; a service name (http) as
    its port number."""
    from netkit.cli.options import host_and_port, port_number

    names_a_port = address.count(":") == 1 or (address.startswith("[") and "]:" in address)
    if port is None and "/" not in address and not address.startswith("@") and names_a_port:
        address, port = host_and_port(address, None)
    if port is not None and port[:1].isalpha():
        try:
            port = str(port_number(port))
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="PORT") from None
    return address, port


@conv.command()
@click.argument("address", metavar="ADDRESS|PATH|@NAME")
@click.argument("port", required=False, metavar="[PORT]")
@click.option("--flowinfo", metavar="N", help="sin6_flowinfo (IPv6): traffic class and flow label.")
@click.option(
    "--scope-id",
    metavar="N|IFNAME",
    help="sin6_scope_id (IPv6): an interface index or name; fe80::1%eth0 says it too.",
)
@click.option(
    "--from-hex",
    "from_hex",
    is_flag=True,
    help="ADDRESS is a structure in hex (02001f90..., with spaces, colons or \\x): decode it.",
)
@json_option
def sockaddr(
    address: str,
    port: str | None,
    *,
    flowinfo: str | None,
    scope_id: str | None,
    from_hex: bool,
    as_json: bool,
) -> int:
    """The struct sockaddr that bind(2) and connect(2) get, byte by byte.

    \b
      netkit conv sockaddr 192.168.1.1 8080        struct sockaddr_in
      netkit conv sockaddr 192.168.1.1:http        the same as 192.168.1.1 80
      netkit conv sockaddr ::1 443 --scope-id 1    struct sockaddr_in6
      netkit conv sockaddr /tmp/echo.sock          struct sockaddr_un (a path has a '/')
      netkit conv sockaddr @echo                   Linux's abstract namespace
      netkit conv sockaddr --from-hex 02001f90c0a801010000000000000000

    Each field with its offset, size, C type, byte order (sin_family is in host order,
    sin_port and the address in network order) and bytes; the padding; the hex of the whole
    structure; and the socklen_t the calls take. The layout is this kernel's: Linux, or the
    BSDs' with a leading sin_len byte; the output says which.
    """
    from netkit.conv.sockaddr import decode, encode
    from netkit.render.conv import render_sockaddr

    with _conversion_errors():
        if from_hex:
            if port is not None or flowinfo is not None or scope_id is not None:
                raise click.UsageError("--from-hex takes the structure alone")
            result = decode(address)
        else:
            address, port = _address_and_port(address, port)
            result = encode(address, port, flowinfo=flowinfo, scope_id=scope_id)
    render_sockaddr(result, as_json=as_json)
    return ExitStatus.OK
