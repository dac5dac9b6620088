"""`netkit ifaces`: the loopback interface as ip addr shows it, JSON, and the --watch view."""

import json
import signal
import socket
import sys

import pytest

from netkit.render.sysinfo import human_bytes
from netkit.sysinfo.ifaces import (
    HISTORY,
    Counters,
    CounterSample,
    InterfaceRates,
    RateHistory,
    compute_rates,
    netmask_prefixlen,
)
from tests.support import RunningProcess, TerminalOutput, netkit_executable, run_netkit

LOOPBACK = "lo" if sys.platform == "linux" else "lo0"


def ifaces_json(*args: str) -> list[dict[str, object]]:
    result = run_netkit("ifaces", "--json", *args)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


def test_loopback_has_127_0_0_1_slash_8() -> None:
    rows = ifaces_json()
    names = [row["name"] for row in rows]
    assert names == sorted(names, key=lambda n: socket.if_nametoindex(str(n)))
    lo = next(row for row in rows if row["name"] == LOOPBACK)
    assert lo["up"] is True
    assert isinstance(lo["mtu"], int)
    addresses = lo["addresses"]
    assert isinstance(addresses, list)
    v4 = next(a for a in addresses if a["family"] == "IPv4")
    assert (v4["address"], v4["prefixlen"], v4["cidr"], v4["scope"]) == (
        "127.0.0.1", 8, "127.0.0.1/8", "host"
    )  # fmt: skip
    counters = lo["counters"]
    assert isinstance(counters, dict)
    assert {"bytes_recv", "bytes_sent", "packets_recv", "errors_in", "drops_out"} <= set(counters)


def test_the_table_shows_loopback_with_prefix() -> None:
    result = run_netkit("ifaces")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if f" {LOOPBACK} " in line)
    assert "UP" in line
    assert "127.0.0.1/8" in line


def test_names_narrow_the_list_and_unknown_names_fail() -> None:
    assert [row["name"] for row in ifaces_json(LOOPBACK)] == [LOOPBACK]
    result = run_netkit("ifaces", "no-such-if0")
    assert result.returncode == 1
    assert result.stderr.startswith("netkit: error: no interface named no-such-if0")
    assert LOOPBACK in result.stderr


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("--count", "2"), "--count"),
        (("--interval", "5"), "--interval"),
        (("--interval", "1"), "--interval"),
    ],
)
def test_count_and_interval_need_watch(args: tuple[str, str], name: str) -> None:
    result = run_netkit("ifaces", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"netkit: error: {name} only makes sense with --watch (see 'netkit ifaces --help')\n"
    )


def test_watch_json_gives_one_line_per_interface_and_round() -> None:
    result = run_netkit(
        "ifaces", LOOPBACK, "--watch", "--json", "--interval", "0.1", "--count", "3"
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["name"] for line in lines] == [LOOPBACK] * 3
    for line in lines:
        assert line["rx_bytes_per_s"] >= 0
        assert line["interval"] == 0.1
        assert {"tx_bytes_per_s", "rx_packets_per_s", "errors_per_s", "bytes_recv"} <= set(line)


@pytest.mark.parametrize(
    ("as_json", "sig"),
    [(False, signal.SIGINT), (True, signal.SIGINT), (False, signal.SIGTERM)],
    ids=["table-sigint", "json-sigint", "table-sigterm"],
)
def test_watch_stops_on_ctrl_c_or_sigterm_with_exit_0(as_json: bool, sig: int) -> None:
    argv = [netkit_executable(), "ifaces", "--watch", "--interval", "0.1"] + (
        ["--json"] if as_json else []
    )
    process = RunningProcess(argv)
    try:
        assert process.proc.stdout is not None
        first = process.proc.stdout.readline()  # the first round is on screen
        assert first, process.stderr_lines
    finally:
        status = process.stop(sig)
    assert status == 0, process.stderr_lines
    assert not any("Traceback" in line for line in process.stderr_lines)


def test_watch_in_a_terminal_draws_sparklines_live() -> None:
    argv = [netkit_executable(), "ifaces", LOOPBACK, "--watch", "--interval", "0.1", "--count", "4"]
    terminal = TerminalOutput(argv, env={"TERM": "xterm", "COLUMNS": "150"})
    try:
        terminal.process.proc.wait(30)
    finally:
        status = terminal.process.stop()
    assert status == 0, terminal.process.stderr_lines
    screen = terminal.screen()
    assert "last 30 rounds" in screen and "total" in screen
    assert "\x1b[" in screen  # rich moved the cursor to redraw in place
    # Four rounds were drawn: the last one's sparkline has four values, right-aligned.
    last = screen.rsplit("last 30 rounds", 1)[1]
    rx_line = next(line for line in last.splitlines() if LOOPBACK in line)
    assert rx_line.split("│")[4].rstrip()[-4:].strip(" ▁▂▃▄▅▆▇█") == ""


def test_rate_history_keeps_the_last_rounds_and_counts_the_total() -> None:
    history = RateHistory(interval=1.0)
    rounds = [(100.0, 1100), (300.0, 1400), (200.0, 1600)]
    for rate, counter in rounds:
        (trend,) = history.add([_rates("eth0", rx=rate, rx_total=counter)])
    assert trend.rx.history == (100.0, 300.0, 200.0)
    assert (trend.rx.current, trend.rx.minimum, trend.rx.maximum) == (200.0, 100.0, 300.0)
    assert trend.rx.average == 200.0
    assert trend.rx.total_bytes == 600  # 100 in the first round, then 300 and 200
    for _ in range(HISTORY + 5):
        (trend,) = history.add([_rates("eth0", rx=1.0, rx_total=1700)])
    assert len(trend.rx.history) == HISTORY
    assert trend.rx.total_bytes == 700


def _rates(name: str, rx: float, rx_total: int) -> InterfaceRates:
    return InterfaceRates(name, True, rx, 0.0, 0.0, 0.0, 0.0, 0.0, rx_total, 0)


# ---------------------------------------------------------------------------------------------
# The core, without a subprocess


def _counters(rx: int, tx: int, errors: int = 0) -> Counters:
    return Counters(rx, tx, rx // 100, tx // 100, errors, 0, 0, 0)


def test_rates_are_per_second_and_survive_a_counter_reset() -> None:
    before = CounterSample(10.0, {"eth0": _counters(1000, 500), "gone0": _counters(1, 1)})
    after = CounterSample(12.0, {"eth0": _counters(5000, 100, errors=4), "new0": _counters(9, 9)})
    (rates,) = compute_rates(before, after, {"eth0": True})
    assert rates.name == "eth0"
    assert rates.up is True
    assert rates.rx_bytes_per_s == 2000.0
    assert rates.tx_bytes_per_s == 50.0  # went backwards: counted from zero
    assert rates.errors_per_s == 2.0
    assert (rates.bytes_recv, rates.bytes_sent) == (5000, 100)


@pytest.mark.parametrize(
    ("netmask", "prefix"),
    [
        ("255.0.0.0", 8),
        ("255.255.255.255", 32),
        ("0.0.0.0", 0),
        ("ffff:ffff:ffff:ffff::", 64),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128),
        ("255.0.255.0", None),
        (None, None),
        ("garbage", None),
    ],
)
def test_netmask_to_prefix(netmask: str | None, prefix: int | None) -> None:
    assert netmask_prefixlen(netmask) == prefix


def test_human_bytes() -> None:
    assert human_bytes(0) == "0 B"
    assert human_bytes(1023) == "1023 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(3 * 1024**3) == "3.0 GiB"
