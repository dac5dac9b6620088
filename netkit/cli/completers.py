"""Shell-completion callbacks for option values, shared by every command.

Use them as ``shell_complete=`` on a click option or argument, for example
``@click.option("--mux", shell_complete=complete_mux)``. Each one is cheap to import: psutil is
imported inside the callback, only when the user presses Tab on that option.
"""

from collections.abc import Callable

import click
from click.shell_completion import CompletionItem

Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]

_MUX_HELP = {
    "auto": "the best this platform has",
    "blocking": "one client at a time",
    "thread": "one thread per connection",
    "select": "select(2) event loop",
    "poll": "poll(2) event loop",
    "epoll": "epoll(7) event loop (Linux)",
    "kqueue": "kqueue(2) event loop (BSD, macOS)",
}

# Record types `netkit resolve --dns -t` offers first; any other type name dnspython knows works.
RECORD_TYPES = (
    "A", "AAAA", "ANY", "CAA", "CNAME", "DNAME", "DNSKEY", "DS", "HINFO", "HTTPS", "LOC", "MX",
    "NAPTR", "NS", "NSEC", "NSEC3", "NSEC3PARAM", "OPENPGPKEY", "PTR", "RRSIG", "SMIMEA", "SOA",
    "SPF", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI",
)  # fmt: skip

SOCKTYPES = ("stream", "dgram", "raw", "any")

_SOCKTYPE_HELP = {
    "stream": "SOCK_STREAM (TCP)",
    "dgram": "SOCK_DGRAM (UDP)",
    "raw": "SOCK_RAW",
    "any": "every socket type (0)",
}


def available_mux_designs() -> list[str]:
    """The --mux designs this platform has (the listener's own list): auto, then each design."""
    from netkit.listen.mux import available

    return ["auto", *available()]


def _starting(values: list[tuple[str, str | None]], incomplete: str) -> list[CompletionItem]:
    lowered = incomplete.lower()
    return [
        CompletionItem(value, help=help)
        for value, help in values
        if value.lower().startswith(lowered)
    ]


def complete_mux(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """--mux: the I/O designs available here (no kqueue on Linux, no epoll on macOS)."""
    return _starting([(d, _MUX_HELP[d]) for d in available_mux_designs()], incomplete)


def complete_record_type(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """-t/--type: DNS record types, matched without regard to case, offered in upper case."""
    return _starting([(t, None) for t in RECORD_TYPES], incomplete)


def complete_socktype(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """--socktype: getaddrinfo socket types."""
    return _starting([(s, _SOCKTYPE_HELP[s]) for s in SOCKTYPES], incomplete)


def complete_interface(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Interface names (lo, eth0, ...) through psutil."""
    import psutil

    return _starting([(name, None) for name in sorted(psutil.net_if_addrs())], incomplete)


def complete_local_address(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """--host for a listener: the wildcard addresses, then every address of this host's
    interfaces (with the interface as the help text)."""
    import socket

    import psutil

    values: list[tuple[str, str | None]] = [
        ("127.0.0.1", "IPv4 loopback"),
        ("::1", "IPv6 loopback"),
        ("0.0.0.0", "every IPv4 address"),
        ("::", "every address, IPv6 and IPv4 (dual stack)"),
    ]
    seen = {value for value, _ in values}
    for name, addresses in sorted(psutil.net_if_addrs().items()):
        for entry in addresses:
            if entry.family in (socket.AF_INET, socket.AF_INET6) and entry.address not in seen:
                seen.add(entry.address)
                values.append((entry.address, name))
    return _starting(values, incomplete)


def complete_path(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """File paths (--path, -f): the shell's own file-name completion does the work."""
    return [CompletionItem(incomplete, type="file")]


def complete_process_name(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Names of the processes running now (for --process)."""
    import psutil

    names: set[str] = set()
    for proc in psutil.process_iter(["name"]):
        name = proc.info.get("name")
        if isinstance(name, str) and name:
            names.add(name)
    return _starting([(n, None) for n in sorted(names)], incomplete)


def complete_pid(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Process ids, with the process name as the help text (for --pid)."""
    import psutil

    values: list[tuple[str, str | None]] = []
    for proc in psutil.process_iter(["name"]):
        values.append((str(proc.pid), proc.info.get("name") or None))
    return _starting(values, incomplete)
