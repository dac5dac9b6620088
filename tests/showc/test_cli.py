"""The --show-c flag of netkit ipc pipe|socketpair, and what every generated program is made of."""

import subprocess
import sys

import click
import pytest

from netkit.cli import cli
from netkit.cli.show_c import (
    CONNECT_TAKES,
    CONNECT_UNSUPPORTED,
    LISTEN_TAKES,
    LISTEN_UNSUPPORTED,
)
from netkit.showc.connect import ConnectTarget, connect_program
from netkit.showc.conv import address_program, byte_order_program
from netkit.showc.ipc import pipe_program, socketpair_program
from netkit.showc.listen import DESIGNS, ListenSpec, listen_program
from netkit.showc.resolve import AddrinfoHints, legacy_program, modern_program
from tests.showc.conftest import Compile, run_program
from tests.support import invoke_netkit

HOSTILE = 'q" b\\ */ /* ??= %s \n\t\x1b[2J é \udcff'


def test_pipe_show_c_prints_the_program_and_runs_nothing(compile_c: Compile) -> None:
    status, out, err = invoke_netkit("ipc", "pipe", "--show-c", "--message", "ping")
    assert (status, err) == (0, "")
    assert out == pipe_program("ping")
    assert "Child received" not in out.split("*/", 1)[0]  # the header, not a demo's output
    assert run_program(compile_c(out)).stdout == b"Child received: ping\n"


def test_socketpair_show_c(compile_c: Compile) -> None:
    status, out, _ = invoke_netkit("ipc", "socketpair", "--show-c", "-m", "ping", "-r", "pong")
    assert status == 0
    assert out == socketpair_program("ping", "pong")
    assert run_program(compile_c(out)).stdout == b"Child got: ping\nParent got: pong\n"


def test_show_c_refuses_json_and_the_demos_limits() -> None:
    assert invoke_netkit("ipc", "pipe", "--show-c", "--json")[0] == 2
    assert invoke_netkit("ipc", "pipe", "--show-c", "-m", "x" * 4096)[0] == 2


def test_the_generators_load_only_with_show_c() -> None:
    code = "import sys, netkit.cli, netkit.cli.ipc; print('netkit.showc' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "False", result.stderr


def _every_program() -> list[str]:
    programs = [
        pipe_program(HOSTILE),
        socketpair_program(HOSTILE, HOSTILE),
        legacy_program([HOSTILE, "localhost"]),
        modern_program([HOSTILE], AddrinfoHints(service=HOSTILE, family="6", addrconfig=True)),
        address_program([HOSTILE, "::1"]),
        byte_order_program([1, 2], 32, to_host=True),
        connect_program(ConnectTarget("tcp", host=HOSTILE, port=HOSTILE, timeout=1.5)),
        connect_program(ConnectTarget("udp", host=HOSTILE, port="53", family="4")),
        connect_program(ConnectTarget("unix", path="@" + HOSTILE, half_close=False)),
    ]
    for transport in ("tcp", "udp", "unix"):
        for design in DESIGNS:
            if (transport, design) != ("udp", "thread"):
                spec = ListenSpec(transport, design, host=HOSTILE, path=HOSTILE)  # type: ignore[arg-type]
                programs.append(listen_program(spec))
    return programs


@pytest.mark.parametrize("source", _every_program())
def test_programs_are_printable_ascii_whatever_the_input(compile_c: Compile, source: str) -> None:
    """So --show-c output is safe on a terminal as it is, and no input reached the code raw:
    each program still compiles warning-free with the hostile text in its literals and
    comments."""
    assert all(line.isascii() and line.isprintable() for line in source.split("\n"))
    assert "\x1b" not in source and "é" not in source
    assert "-Wall -Wextra -O2" in source.split("*/", 1)[0]  # the header says how to build it
    if "kqueue()" not in source:  # kqueue is compiled where it exists (test_listen)
        compile_c(source, "-pthread")


def test_conv_port_and_long_show_c_print_what_netkit_prints(compile_c: Compile) -> None:
    status, out, err = invoke_netkit("conv", "port", "8080", "--show-c")
    assert (status, err) == (0, "")
    assert out == byte_order_program([8080], 16, to_host=False)
    printed = run_program(compile_c(out)).stdout.decode()
    assert "host port: 0x1f90 -> network: 0x901f" in printed
    status, out, _ = invoke_netkit("conv", "long", "--ntoh", "0x0100007f", "--show-c")
    assert status == 0 and out == byte_order_program([0x0100007F], 32, to_host=True)


def test_conv_ip_show_c_runs_inet_pton(compile_c: Compile) -> None:
    status, out, _ = invoke_netkit("conv", "ip", "192.168.1.1", "::1", "--show-c")
    assert status == 0 and out == address_program(["192.168.1.1", "::1"])
    printed = run_program(compile_c(out)).stdout.decode()
    assert "IPv4: 192.168.1.1 (0xc0a80101)" in printed


@pytest.mark.parametrize(
    "args",
    [
        ("conv", "port", "8080", "--show-c", "--json"),
        ("conv", "ip", "1.2.3.4", "--show-c", "--json"),
        ("conv", "ip", "--from", "int", "1", "--show-c"),
        ("conv", "ip", "10.0.0.1/8", "--show-c"),
        ("conv", "port", "70000", "--show-c"),
    ],
)
def test_conv_show_c_refuses_what_c_cannot_show(args: tuple[str, ...]) -> None:
    assert invoke_netkit(*args)[0] == 2


@pytest.mark.parametrize(
    ("command", "takes", "refused"),
    [
        ("connect", CONNECT_TAKES, CONNECT_UNSUPPORTED),
        ("listen", LISTEN_TAKES, LISTEN_UNSUPPORTED),
    ],
)
@pytest.mark.parametrize("transport", ["tcp", "udp", "unix"])
def test_every_option_is_taken_by_the_program_or_refused_with_show_c(
    command: str, takes: frozenset[str], refused: tuple[tuple[str, str], ...], transport: str
) -> None:
    # An option added later is in neither list until someone says what --show-c does with it:
    # without this, it would be parsed and silently left out of the program.
    root = click.Context(cli)
    group = cli.get_command(root, command)
    assert isinstance(group, click.Group)
    sub = group.get_command(click.Context(group, parent=root), transport)
    assert sub is not None
    options = {param.name for param in sub.params}
    refused_names = {name for _, name in refused}
    assert options - takes - refused_names == set()
    assert not takes & refused_names
    flags = {opt for param in sub.params for opt in param.opts}
    assert {flag for flag, name in refused if name in options} <= flags
