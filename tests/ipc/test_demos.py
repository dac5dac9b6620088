"""`netkit ipc pipe` and `netkit ipc socketpair`: the reference's lines and the step tables."""

import json
import subprocess
from typing import Any

import pytest

from tests.support import netkit_executable, run_netkit


def _demo_json(*args: str) -> dict[str, Any]:
    result = run_netkit("ipc", *args, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _index(steps: list[dict[str, Any]], actor: str, call_prefix: str) -> int:
    for index, step in enumerate(steps):
        if step["actor"] == actor and step["call"].startswith(call_prefix):
            return index
    raise AssertionError(f"no {actor} step {call_prefix!r} in {steps}")


def test_pipe_prints_the_reference_line_first_then_the_steps() -> None:
    result = run_netkit("ipc", "pipe")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Child received: Hello from parent"
    assert lines[1].startswith("pipe(): who did what")
    assert "write(fd[1]=" in result.stdout
    assert "waitpid(" in result.stdout
    assert result.stdout.count("Child received:") == 1  # fork() did not duplicate buffered output


def test_pipe_custom_message() -> None:
    result = run_netkit("ipc", "pipe", "--message", "ünïcode [bold]x[/bold]")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Child received: ünïcode [bold]x[/bold]"


def test_pipe_json_steps_in_causal_order() -> None:
    data = _demo_json("pipe")
    steps = data["steps"]
    assert data["demo"] == "pipe"
    assert data["child_line"] == "Child received: Hello from parent"
    assert data["parent_line"] is None
    assert data["child_exit_code"] == 0
    assert steps[0]["actor"] == "parent"
    assert steps[0]["call"] == "pipe(fd)"
    assert steps[1]["call"] == "fork()"
    assert steps[1]["result"].startswith(str(data["child_pid"]))
    assert steps[-1]["call"] == f"waitpid({data['child_pid']})"
    assert steps[-1]["result"] == "exited 0"
    write = _index(steps, "parent", "write(fd[1]=")
    assert steps[write]["result"] == "18"  # strlen("Hello from parent") + 1, as the C sends
    first_read = _index(steps, "child", "read(fd[0]=")
    assert first_read > write  # a read never sorts before the write it got
    assert steps[first_read]["result"] == "18 bytes"
    child_after = [s for s in steps[first_read + 1 :] if s["actor"] == "child"]
    assert child_after[0]["result"] == "0: EOF"  # every write end closed, the child's too
    assert _index(steps, "parent", "close(fd[0]=") > 1
    assert _index(steps, "child", "close(fd[1]=") > 1  # each side closes the end it does not use
    assert [s["t_us"] for s in steps] == sorted(s["t_us"] for s in steps)
    for step in steps:
        assert step["pid"] == data[f"{step['actor']}_pid"]


def test_socketpair_prints_both_reference_lines_in_order() -> None:
    result = run_netkit("ipc", "socketpair")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Child got: Hi child", "Parent got: Hi parent"]
    assert lines[2].startswith("socketpair(): who did what")


def test_socketpair_json_steps_go_both_ways() -> None:
    data = _demo_json("socketpair", "--message", "ping", "--reply", "pong")
    steps = data["steps"]
    assert data["child_line"] == "Child got: ping"
    assert data["parent_line"] == "Parent got: pong"
    assert steps[0]["call"] == "socketpair(AF_UNIX, SOCK_STREAM, 0, sv)"
    parent_write = _index(steps, "parent", "write(sv[0]=")
    child_read = _index(steps, "child", "read(sv[1]=")
    child_write = _index(steps, "child", "write(sv[1]=")
    parent_read = _index(steps, "parent", "read(sv[0]=")
    assert parent_write < child_read < child_write < parent_read
    assert steps[-1]["actor"] == "parent"
    assert steps[-1]["call"].startswith("waitpid(")


@pytest.mark.parametrize("demo", ["pipe", "socketpair", "fdpass"])
def test_a_crashing_child_is_one_clear_line_and_exit_1(demo: str) -> None:
    result = run_netkit("ipc", demo, "--inject-fault", "child-crash")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("netkit: error: ")
    assert "killed by SIGKILL" in lines[0]


@pytest.mark.parametrize("demo", ["pipe", "socketpair", "fdpass"])
def test_stdout_closed_is_the_quiet_closed_output_exit(demo: str) -> None:
    process = subprocess.Popen(
        [netkit_executable(), "ipc", demo],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the child prints
    _, stderr = process.communicate(timeout=30)
    assert (process.returncode, stderr) == (141, b"")  # as a C program that SIGPIPE ended


def test_message_longer_than_pipe_buf_is_a_usage_error() -> None:
    result = run_netkit("ipc", "pipe", "--message", "x" * 5000)
    assert result.returncode == 2
    assert "PIPE_BUF" in result.stderr


def test_a_message_that_is_not_utf8_travels_as_its_bytes() -> None:
    # "\udcff" is how Python holds the byte 0xff of a command line that is not UTF-8.
    data = _demo_json("pipe", "--message", "a\udcffb")
    write = next(step for step in data["steps"] if step["call"].startswith("write("))
    assert write["result"] == "4"  # a, 0xff, b and the NUL, as the C would send them
    assert data["child_line"] == "Child received: a\ufffdb"
