"""The pipe and socketpair programs print the lines netkit's demos print."""

import json
from typing import Any

import pytest

from netkit.errors import NetkitUsageError
from netkit.showc.ipc import pipe_program, socketpair_program
from tests.showc.conftest import Compile, run_program
from tests.support import run_netkit

MESSAGES = [
    "Hello from parent",
    'quotes " and \\ backslash, */ and ??= and %s',
    "ünïcode ✓ 日本",
    "x" * 4095,  # PIPE_BUF with its NUL
]


def _demo(*args: str) -> dict[str, Any]:
    result = run_netkit("ipc", *args, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("message", MESSAGES, ids=range(len(MESSAGES)))
def test_pipe_prints_the_demos_line(compile_c: Compile, message: str) -> None:
    binary = compile_c(pipe_program(message))
    result = run_program(binary)
    assert result.returncode == 0, result.stderr
    expected = _demo("pipe", "--message", message)["child_line"]
    assert result.stdout.decode() == expected + "\n"


def test_pipe_default_is_the_reference(compile_c: Compile) -> None:
    result = run_program(compile_c(pipe_program("Hello from parent")))
    assert result.stdout == b"Child received: Hello from parent\n"


@pytest.mark.parametrize(
    ("message", "reply"),
    [("Hi child", "Hi parent"), ('a "*/ ??= \\', "ünïcode\ttab"), ("m" * 4095, "r" * 4095)],
    ids=["reference", "hostile", "pipe-buf"],
)
def test_socketpair_prints_the_demos_lines(compile_c: Compile, message: str, reply: str) -> None:
    binary = compile_c(socketpair_program(message, reply))
    result = run_program(binary)
    assert result.returncode == 0, result.stderr
    demo = _demo("socketpair", "--message", message, "--reply", reply)
    assert result.stdout.decode().splitlines() == [demo["child_line"], demo["parent_line"]]


def test_the_demos_limits_apply() -> None:
    with pytest.raises(NetkitUsageError):
        pipe_program("x" * 4096)
    with pytest.raises(NetkitUsageError):
        socketpair_program("a\0b", "reply")
