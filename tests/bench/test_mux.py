"""`netkit bench mux` end to end: it starts the real `netkit listen` in each design."""

import json
import select
from typing import Any

import pytest

from tests.support import run_netkit


def mux(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = run_netkit("bench", "mux", "-d", "0.3", "-c", "4", "--json", *args, timeout=90)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def test_designs_with_idle_connections_beside_the_active_ones() -> None:
    status, rows, stderr = mux("--mux", "select", "--mux", "poll", "--idle", "0,40")
    assert status == 0, stderr
    assert [(r["mux"], r["idle"]) for r in rows] == [
        ("select", 0),
        ("select", 40),
        ("poll", 0),
        ("poll", 40),
    ]
    for row in rows:
        assert row["rps"] > 0
        assert row["errors"] == row["mismatches"] == 0
        assert row["connections"] == 4
        assert row["server_cpu_us_per_request"] > 0
        assert row["idle_held"] == (40 if row["idle"] else None)


def test_blocking_gets_one_connection_and_no_idle_runs() -> None:
    status, rows, stderr = mux("--mux", "blocking", "--idle", "0,40")
    assert status == 0, stderr
    assert len(rows) == 1
    assert rows[0]["mux"] == "blocking"
    assert rows[0]["connections"] == 1
    assert rows[0]["rps"] > 0
    assert "one client at a time" in rows[0]["note"]


@pytest.mark.skipif(not hasattr(select, "epoll"), reason="epoll is Linux only")
def test_table_output_names_every_design() -> None:
    result = run_netkit(
        "bench", "mux", "--mux", "thread", "--mux", "epoll", "-d", "0.3", "-c", "2",
        "--idle", "0,10", timeout=90,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2 active connections x 512 B, 0 idle" in result.stdout
    assert "2 active connections x 512 B, 10 idle" in result.stdout
    assert result.stdout.count("epoll") == 2
    assert "idle held" in result.stdout


def test_unknown_design_is_a_usage_error() -> None:
    result = run_netkit("bench", "mux", "--mux", "iocp")
    assert result.returncode == 2
    assert "'iocp' is not one of" in result.stderr and "'epoll'" in result.stderr
