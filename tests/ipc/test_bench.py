"""`netkit ipc bench`: the figures' shape, the data check, and children reaped on every exit."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
import pytest

from tests.support import netkit_executable, run_netkit

QUICK = ("--total", "1", "--round-trips", "200")
ALL_KINDS = ["pipe", "socketpair", "unix", "tcp", "udp", "unix-dgram"]


def test_json_has_one_object_per_kind_and_size() -> None:
    result = run_netkit("ipc", "bench", "--size", "4K", "--json", *QUICK)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["kind"] for row in rows] == ALL_KINDS
    for row in rows:
        assert row["size"] == 4096
        assert row["mibps"] > 0
        assert 0 < row["rtt_p50_us"] <= row["rtt_p99_us"]
        assert 1 <= row["round_trips"] <= 200
        assert row["verified"] is True
        if row["kind"] != "udp":  # UDP may drop what it cannot queue; nothing else may
            assert row["bytes"] == 1 << 20
            assert row["lost"] == 0


def test_sizes_a_datagram_cannot_carry_are_left_out() -> None:
    result = run_netkit("ipc", "bench", "--size", "1M", "--json", "--total", "4", *QUICK[2:])
    assert result.returncode == 0, result.stderr
    assert [row["kind"] for row in json.loads(result.stdout)] == ALL_KINDS[:4]
    only_udp = run_netkit("ipc", "bench", "--size", "1M", "--kind", "udp")
    assert only_udp.returncode == 2
    assert "no channel" in only_udp.stderr


def test_table_compares_unix_with_tcp() -> None:
    result = run_netkit("ipc", "bench", "--size", "64K", "-k", "unix", "-k", "tcp", *QUICK)
    assert result.returncode == 0, result.stderr
    assert "64 KiB" in result.stdout
    assert "Unix stream sockets vs TCP loopback:" in result.stdout


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_altered_data_is_detected(kind: str) -> None:
    result = run_netkit(
        "ipc", "bench", "--size", "1K", "-k", kind, "--inject-fault", "corrupt", *QUICK
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"netkit: error: data check failed on {kind} at 1024 B")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("value", ["0", "12Q", "65M", "-4"])
def test_bad_sizes_are_usage_errors(value: str) -> None:
    result = run_netkit("ipc", "bench", "--size", value)
    assert result.returncode == 2


@contextmanager
def _long_bench(kind: str) -> Iterator[tuple[subprocess.Popen[bytes], list[int]]]:
    """A bench that would run for many seconds, and the pids of the children it forked."""
    process = subprocess.Popen(
        [netkit_executable(), "ipc", "bench", "-k", kind, "-s", "64K", "--total", "16384"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        parent = psutil.Process(process.pid)
        children: list[int] = []
        deadline = time.monotonic() + 15
        while not children and time.monotonic() < deadline:
            children = [child.pid for child in parent.children()]
            time.sleep(0.02)
        assert children, "the bench never forked"
        time.sleep(0.3)  # into the run proper
        yield process, children
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=15)


def _gone(pid: int) -> bool:
    """Reaped: no such process (a zombie would still be listed, reparented to pid 1)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_DEAD
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("kind", ["pipe", "tcp"])
def test_sigint_reaps_the_child_and_exits_130(kind: str) -> None:
    with _long_bench(kind) as (process, children):
        process.send_signal(signal.SIGINT)  # the parent only: it must deal with the child
        assert process.wait(timeout=15) == 130
    assert all(_gone(pid) for pid in children)


def test_a_killed_child_is_one_clear_line_and_exit_1() -> None:
    with _long_bench("socketpair") as (process, children):
        os.kill(children[0], signal.SIGKILL)
        _, stderr = process.communicate(timeout=15)
        assert process.returncode == 1
    message = stderr.decode()
    assert message.count("\n") == 1, message
    assert message.startswith("netkit: error: socketpair at 65536 B messages")
    assert "killed by SIGKILL" in message
    assert _gone(children[0])


def test_a_named_channel_left_out_at_some_size_gets_a_note() -> None:
    result = run_netkit("ipc", "bench", "-k", "pipe", "-k", "udp", "--size", "256K", *QUICK)
    assert result.returncode == 0, result.stderr
    assert "udp" not in result.stdout.split("round trips", 1)[1].split("Throughput")[0]
    assert (
        result.stderr == "netkit: note: no udp run at 256 KiB: it carries 8 to 65507 B a message\n"
    )
    default = run_netkit("ipc", "bench", "--size", "256K", "--json", *QUICK)
    assert default.returncode == 0 and default.stderr == ""  # all kinds: --help states the limits
