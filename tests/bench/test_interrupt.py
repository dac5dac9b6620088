"""Ctrl-C keeps what was done: an interrupted `netkit bench` prints its figures so far, marked
interrupted, and exits 130 (as iperf3 and ping print what they have)."""

import json
import os
import signal
import subprocess

import pytest

from tests.support import netkit_executable, netkit_process

READY = r"listening on tcp \S+:(\d+)"


@pytest.mark.parametrize(
    "extra",
    [(), ("--workers", "2"), ("--connect-rate",)],
    ids=["one process", "workers", "connect-rate"],
)
def test_sigint_prints_the_figures_so_far(extra: tuple[str, ...]) -> None:
    with netkit_process("listen", "tcp", "--port", "0", "-q", ready=READY) as server:
        port = server.wait_for_stderr(READY).group(1)
        bench = subprocess.Popen(
            [netkit_executable(), "bench", "tcp", "127.0.0.1", port, "-c", "2", "-d", "30",
             "--interval", "0.2", "--json", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        try:
            assert bench.stdout is not None
            first = json.loads(bench.stdout.readline())  # the load runs: an interval is done
            assert first["interval"] == 1
            bench.send_signal(signal.SIGINT)
            rest, errors = bench.communicate(timeout=20)
        finally:
            if bench.poll() is None:
                bench.kill()
                bench.wait()
    assert bench.returncode == 130, errors
    final = json.loads(rest.decode().splitlines()[-1])
    assert final["interrupted"] is True
    assert final["requests"] > 0
    assert final["errors"] == 0 and final["mismatches"] == 0
    assert final["duration_s"] < 30


def test_a_whole_run_is_not_marked_interrupted() -> None:
    with netkit_process("listen", "tcp", "--port", "0", "-q", ready=READY) as server:
        port = server.wait_for_stderr(READY).group(1)
        result = subprocess.run(
            [netkit_executable(), "bench", "tcp", "127.0.0.1", port, "-c", "1", "-d", "0.2",
             "--json"],
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["interrupted"] is False
