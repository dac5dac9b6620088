"""--rate's coordinated-omission correction, --interval's stream and --percentiles, end to end."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from netkit.bench.mux import ListenerProcess
from tests.connect.servers import echo_all, stream_server
from tests.support import TerminalOutput, netkit_executable, run_netkit


@pytest.fixture
def listener() -> Iterator[ListenerProcess]:
    server = ListenerProcess("epoll", None)
    try:
        yield server
    finally:
        os.kill(server.pid, signal.SIGCONT)  # never leave it stopped
        server.stop()


def test_a_stalled_server_shows_in_the_corrected_p99_only(listener: ListenerProcess) -> None:
    # 1000 requests/s for 3 s over 4 connections, the server stopped for 500 ms in the middle.
    # Timed from the schedule, the ~500 requests that should have gone out during the stall
    # waited up to 500 ms: far more than 1 % of 3000. Timed from when they were sent, only the
    # 4 in flight when the server stopped saw it: under 1 %.
    command = [netkit_executable(), "bench", "tcp", "127.0.0.1", str(listener.port)]
    command += ["-c", "4", "-d", "3", "--rate", "1000", "--json"]
    load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.2)
        os.kill(listener.pid, signal.SIGSTOP)
        time.sleep(0.5)
        os.kill(listener.pid, signal.SIGCONT)
        out, err = load.communicate(timeout=30)
    finally:
        load.kill()
        load.wait()
    figures = json.loads(out)
    assert figures["errors"] == 0, err
    assert figures["p99_us"] >= 400_000, figures
    uncorrected = figures["uncorrected"]
    assert uncorrected["p99_us"] < 100_000, uncorrected
    assert uncorrected["max_us"] >= 400_000  # the stall is there, in the requests it caught
    percentiles = {k for k in figures if k.startswith("p") and k.endswith("_us")}
    assert set(uncorrected) == percentiles | {"max_us", "mean_us", "stdev_us", "histogram"}
    # Behind schedule after the stall, the load catches up: the rate was kept.
    assert figures["requests"] >= 2600  # skipping the late ones would leave about 2,500


def output_of(*args: str) -> str:
    with stream_server(echo_all) as (host, port):
        result = run_netkit("bench", "tcp", host, str(port), *args, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def lines_of(*args: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output_of(*args).splitlines()]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_interval_lines_add_up_to_the_totals(workers: str) -> None:
    *intervals, final = lines_of(
        "-c", "4", "-d", "1.2", "--interval", "0.4", "--json", "--workers", workers
    )
    assert [i["interval"] for i in intervals] == list(range(1, len(intervals) + 1))
    assert 3 <= len(intervals) <= 4
    assert sum(i["requests"] for i in intervals) == final["requests"] > 0
    assert sum(i["errors"] for i in intervals) == final["errors"] == 0
    for interval in intervals:
        assert interval["requests"] == 0 or 0 < interval["p50_us"] <= interval["p99_us"]
        assert interval["end_s"] > interval["start_s"]


def test_chosen_percentiles_name_their_fields() -> None:
    final = json.loads(output_of("-c", "2", "-d", "0.3", "--json", "--percentiles", "50,99,99.999"))
    assert final["percentiles"] == [50, 99, 99.999]
    assert 0 < final["p50_us"] <= final["p99_us"] <= final["p99_999_us"] <= final["max_us"]
    assert "p90_us" not in final
    assert final["uncorrected"] is None  # no --rate: no schedule to correct for
    assert final["histogram"].startswith("HISTF")  # HdrHistogram V2 compressed, base64


def test_interval_text_lines_come_while_it_runs() -> None:
    # The first line must arrive while the run is still going (start-up time is not counted:
    # a busy machine may take a while to import netkit).
    with stream_server(echo_all) as (host, port):
        command = [netkit_executable(), "bench", "tcp", host, str(port), "-c", "2"]
        process = subprocess.Popen(
            [*command, "-d", "3", "--interval", "0.5"], stdout=subprocess.PIPE, text=True
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            still_running = process.poll() is None
            rest, _ = process.communicate(timeout=60)
        finally:
            process.kill()
            process.wait()
    assert "req/s" in first and "p99" in first
    assert still_running
    assert rest.count("req/s") >= 6  # five more intervals, then the summary table


def test_connect_rate_opens_a_connection_per_request(listener: ListenerProcess) -> None:
    # Short and bounded: a few hundred connections, each closed with a reset (no TIME_WAIT).
    result = run_netkit(
        "bench", "tcp", "127.0.0.1", str(listener.port), "-c", "2", "-d", "0.3",
        "--connect-rate", "--rate", "1000", "--json", timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert 30 <= figures["requests"] <= 330  # at most the rate allows
    assert figures["errors"] == figures["mismatches"] == 0
    connect = figures["connect"]
    assert connect is not None and set(connect) == set(figures["uncorrected"])
    assert 0 < connect["p50_us"] <= figures["uncorrected"]["p50_us"]  # part of the request
    assert listener.alive()


@pytest.mark.parametrize("rate", [[], ["--rate", "200"]], ids=["flat out", "paced"])
def test_connect_rate_to_a_unix_path_nobody_listens_on_counts_errors(
    tmp_path: Any, rate: list[str]
) -> None:
    # connect() fails at once there; each failure used to start the next connect from inside
    # itself, until Python's recursion limit ended the run with an internal error.
    missing = str(tmp_path / "nobody.sock")
    result = run_netkit("bench", "unix", missing, "-c", "2", "-d", "0.5", "--connect-rate",
                        *rate, "--json", timeout=60)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "unexpected" not in result.stderr
    figures = json.loads(result.stdout)
    assert figures["requests"] == 0 and 2 <= figures["errors"] <= 200
    assert figures["error_samples"] == ["connect: ENOENT"]


def test_without_connect_rate_there_is_no_connect_figure() -> None:
    final = json.loads(output_of("-c", "1", "-d", "0.2", "--json"))
    assert final["connect"] is None


def test_the_latency_histogram_is_drawn_on_a_terminal_only() -> None:
    with stream_server(echo_all) as (host, port):
        argv = [netkit_executable(), "bench", "tcp", host, str(port), "-c", "2", "-d", "0.3"]
        terminal = TerminalOutput(argv, env={"TERM": "xterm", "COLUMNS": "120"})
        try:
            terminal.process.proc.wait(30)
        finally:
            status = terminal.process.stop()
        piped = run_netkit("bench", "tcp", host, str(port), "-c", "2", "-d", "0.3")
    assert status == 0, terminal.process.stderr_lines
    screen = terminal.screen()
    assert "latency histogram" in screen and "█" in screen and "µs" in screen
    assert piped.returncode == 0
    assert "latency histogram" not in piped.stdout and "█" not in piped.stdout
