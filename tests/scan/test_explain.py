"""scan --explain: the scan's non-blocking connects and its epoll, narrated; strace judges."""

import socket
from pathlib import Path

from tests.strace import assert_narration_is_true, run_traced
from tests.support import free_port, run_netkit


def test_scan_calls_are_what_strace_sees(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        open_port = listener.getsockname()[1]
        closed_port = free_port()
        done, narration, trace = run_traced(
            tmp_path, "scan", "127.0.0.1", f"{open_port},{closed_port}", "--explain", "--json"
        )
    assert done.returncode == 0, done.stderr
    assert_narration_is_true(narration, trace)
    connects = [c for c in narration if c["call"] == "connect"]
    assert len(connects) == 2
    outcomes = [c["meaning"] for c in narration if c["args"][1:3] == ["SOL_SOCKET", "SO_ERROR"]]
    assert "connected" in outcomes
    # Refused at once within connect(), or later as the socket's SO_ERROR: the kernel's choice.
    refused = [c for c in connects if c["errno"] == "ECONNREFUSED"]
    assert refused or "failed: ECONNREFUSED" in outcomes
    assert narration[-1]["call"] == "close"


def test_probes_are_not_narrated_yet() -> None:
    result = run_netkit("scan", "127.0.0.1", "1", "--banner", "--explain")
    assert result.returncode == 2 and "--explain" in result.stderr
