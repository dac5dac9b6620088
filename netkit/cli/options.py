"""Options and argument helpers shared by every command."""

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:  # click >= 8.4 is generic; older click (allowed by pyproject) is not
    from click.shell_completion import CompletionItem

    _IntParamType = click.ParamType[int]
    _TupleParamType = click.ParamType[tuple[Any, ...]]
    AnyParamType = click.ParamType[Any]
else:
    _IntParamType = _TupleParamType = AnyParamType = click.ParamType

F = TypeVar("F", bound=Callable[..., object])

json_option: Callable[[F], F] = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON for scripts instead of a table (field names are stable).",
)


class TcpByDefault(click.Group):
    """A group whose first argument, when it names no subcommand, belongs to `tcp`: nc users
    type `netkit connect HOST PORT` and `netkit listen PORT`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["tcp", *args]
        return super().parse_args(ctx, args)


def expand_stdin(values: Iterable[str]) -> list[str]:
    """Replace a '-' argument with the lines of stdin (blank lines and #comments skipped)."""
    expanded: list[str] = []
    for value in values:
        if value != "-":
            expanded.append(value)
            continue
        for line in sys.stdin:
            text = line.strip()
            if text and not text.startswith("#"):
                expanded.append(text)
    return expanded


def stream_stdin(values: Iterable[str]) -> Iterator[str]:
    """``expand_stdin`` read lazily: each line of stdin is handed on as soon as it is read, so
    `yes 1.2.3.4 | netkit conv ip - | head` prints at once and memory stays flat."""
    for value in values:
        if value != "-":
            yield value
            continue
        for line in sys.stdin:
            text = line.strip()
            if text and not text.startswith("#"):
                yield text


def port_number(text: str, proto: str | None = None, *, lowest: int = 0) -> int:
    """A port given as a number or as a service name from /etc/services (ssh, http, domain),
    as nc, ss and getaddrinfo take them; ValueError with the reason otherwise."""
    import socket

    value = text.strip()
    if value.isdigit():
        number = int(value)
        if not lowest <= number <= 65535:
            raise ValueError(f"{value} is not a port between {lowest} and 65535")
        return number
    try:
        number = (
            socket.getservbyname(value.lower(), proto)
            if proto
            else socket.getservbyname(value.lower())
        )
    except (OSError, UnicodeError):
        raise ValueError(f"{value!r} is not a port number or a service name") from None
    if number < lowest:
        raise ValueError(f"{value} is port {number}, below {lowest}")
    return number


class PortType(_IntParamType):
    """A port: a number, or a service name such as ssh or http (/etc/services). Every command
    that takes a port uses this type, so `netkit conns --port ssh` works as `bench tcp HOST
    http` does."""

    name = "port"

    def __init__(self, *, lowest: int = 0, proto: str | None = None) -> None:
        self.lowest = lowest
        self.proto = proto

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            text = str(value)
        elif isinstance(value, str):
            text = value
        else:
            self.fail(f"{value!r} is not a port", param, ctx)
        try:
            return port_number(text, self.proto, lowest=self.lowest)
        except ValueError as error:
            self.fail(str(error), param, ctx)


def service_names_to_ports(spec: str, proto: str | None = "tcp") -> str:
    """A port list like ssh,http,8000-8100 with every service name replaced by its number
    (22,80,8000-8100), for the commands that take lists and ranges (scan, connect -z)."""
    parts = []
    for part in spec.split(","):
        ends = part.split("-") if not part.strip().isdigit() else [part]
        if len(ends) == 2 and all(end.strip().isdigit() for end in ends):
            parts.append(part)
            continue
        # A service name may itself contain a dash (ms-sql-s): try it whole first.
        try:
            parts.append(str(port_number(part, proto)))
            continue
        except ValueError:
            pass
        try:
            parts.append("-".join(str(port_number(end, proto)) for end in ends))
        except ValueError:
            parts.append(part)  # left for the list's own parser to refuse with its message
    return ",".join(parts)


class CommaList(_TupleParamType):
    """One occurrence of a list option: 'a,b' gives both items, each checked by ``item``."""

    def __init__(self, item: "AnyParamType") -> None:
        self.item = item
        self.name = f"{item.name} list"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[object, ...]:
        if isinstance(value, tuple):  # already converted (a default)
            return value
        parts = [part.strip() for part in str(value).split(",")]
        if not all(parts):
            self.fail(f"{value!r} has an empty item (write a,b,c)", param, ctx)
        return tuple(self.item.convert(part, param, ctx) for part in parts)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list["CompletionItem"]:
        return self.item.shell_complete(ctx, param, incomplete)


ListCallback = Callable[[click.Context, click.Parameter, tuple[Any, ...]], Any]


def list_option(
    *param_decls: str,
    item: "AnyParamType" = click.STRING,
    callback: ListCallback | None = None,
    **attrs: Any,
) -> Callable[[F], F]:
    """An option that takes a list, given as a comma list, repeated, or both:
    `--mux epoll,poll --mux select`. Every list option of every command is made here, so they
    all read the same way. The command gets one flat tuple of converted items (``callback``,
    when given, gets that tuple)."""

    def flatten(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        items = tuple(entry for group in value or () for entry in group)
        return callback(ctx, param, items) if callback is not None else items

    return click.option(
        *param_decls, type=CommaList(item), multiple=True, callback=flatten, **attrs
    )


def host_and_port(host: str, port: str | None) -> tuple[str, str]:
    """HOST PORT as two arguments, or HOST:PORT and [V6]:PORT as one (what URLs, ss and curl
    print), as the host and port; a usage error that shows how to write it otherwise."""
    if port is not None:
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif _has_port_suffix(host):
            raise click.UsageError(
                f"{host!r} already names a port; give HOST PORT or HOST:PORT, not both"
            )
        return host, port
    if host.startswith("["):
        address, bracket, rest = host[1:].partition("]")
        if bracket and rest.startswith(":") and rest[1:]:
            return address, rest[1:]
    elif host.count(":") == 1:
        name, _, number = host.partition(":")
        if name and number:
            return name, number
    example = "[::1]:80 or ::1 80" if ":" in host else f"{host} 80 or {host}:80"
    raise click.UsageError(
        f"missing PORT: write HOST PORT, HOST:PORT or [V6]:PORT (e.g. {example})"
    )


def _has_port_suffix(host: str) -> bool:
    return host.count(":") == 1 or (host.startswith("[") and "]:" in host)
