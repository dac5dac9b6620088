"""connect --explain: the narrated calls are the calls the process makes (strace judges), with
the kernel's TCP states, and the narration is safe on a terminal whatever the peer sends."""

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.render.hostile import assert_safe
from tests.strace import assert_narration_is_true, run_traced
from tests.support import free_port, netkit_process, run_netkit

READY = r"listening on (tcp|udp|unix) (\S+) \((\w+)\)"
FIELDS = ["t", "call", "args", "result", "errno", "meaning", "tcp_state"]


@pytest.fixture(scope="module")
def tcp_echo() -> Iterator[list[str]]:
    with netkit_process("listen", "tcp", "--port", "0", "-q", ready=READY) as server:
        yield server.wait_for_stderr(READY).group(2).rsplit(":", 1)


def _calls(narration: list[dict[str, object]]) -> list[str]:
    return [str(call["call"]) for call in narration]


def test_tcp_with_a_timeout_is_a_non_blocking_connect(tmp_path: Path, tcp_echo: list[str]) -> None:
    done, narration, trace = run_traced(
        tmp_path, "connect", "tcp", *tcp_echo, "-w", "5", "--explain", "--json", input=b"hello\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"hello\n"
    assert_narration_is_true(narration, trace)
    assert all(list(call) == FIELDS for call in narration)
    # The judge is not lenient: a wrong result, descriptor or order is caught.
    for forged in (
        [*narration[:4], {**narration[4], "result": 7}],
        [narration[0], {**narration[1], "args": ["9", *narration[1]["args"][1:]]}],
        [narration[3], narration[1]],
    ):
        with pytest.raises(AssertionError):
            assert_narration_is_true(forged, trace)
    calls = _calls(narration)
    assert calls[:4] == ["socket", "connect", "poll", "getsockopt"]
    assert (narration[1]["result"], narration[1]["errno"]) == (-1, "EINPROGRESS")
    assert narration[3]["args"][2:] == ["SO_ERROR", "[0]"]
    sends = [call for call in narration if call["call"] == "send"]
    assert sends[0]["args"][1] == '"hello\\n"' and sends[0]["result"] == 6
    assert calls.index("shutdown") > calls.index("send")
    assert narration[-2]["call"] == "recv" and narration[-2]["result"] == 0
    close = narration[-1]
    descriptor = str(narration[0]["result"])
    assert (close["call"], close["args"], close["result"]) == ("close", [descriptor], 0)
    # We sent the first FIN: the connection waits in TIME_WAIT after close, as the kernel says.
    assert close["tcp_state"] == "TIME_WAIT"
    assert narration[3]["tcp_state"] == "ESTABLISHED"


def test_refused_blocking_connect(tmp_path: Path) -> None:
    port = str(free_port())
    done, narration, trace = run_traced(tmp_path, "connect", "tcp", "127.0.0.1", port,
                                        "--explain", "--json")  # fmt: skip
    assert done.returncode == 1
    assert_narration_is_true(narration, trace)
    assert _calls(narration) == ["socket", "connect", "close"]
    assert (narration[1]["result"], narration[1]["errno"]) == (-1, "ECONNREFUSED")


def test_udp_and_unix(tmp_path: Path) -> None:
    with netkit_process("listen", "udp", "--port", "0", "-q", ready=READY) as server:
        address = server.wait_for_stderr(READY).group(2).rsplit(":", 1)
        done, narration, trace = run_traced(tmp_path, "connect", "udp", *address, "-w", "0.3",
                                            "--explain", "--json", input=b"ping")  # fmt: skip
    assert (done.returncode, done.stdout) == (0, b"ping"), done.stderr
    assert_narration_is_true(narration, trace)
    assert narration[0]["args"] == ["AF_INET", "SOCK_DGRAM", "IPPROTO_UDP"]
    assert narration[-2]["meaning"] == "timed out" and narration[-2]["call"] == "select"
    assert all(call["tcp_state"] is None for call in narration)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "e.sock")
        with netkit_process("listen", "unix", "--path", path, "-q", ready=READY):
            done, narration, trace = run_traced(tmp_path, "connect", "unix", path, "--explain",
                                                "--json", input=b"hi")  # fmt: skip
    assert (done.returncode, done.stdout) == (0, b"hi"), done.stderr
    assert_narration_is_true(narration, trace)
    assert narration[1]["args"][1] == f'{{AF_UNIX, "{path}"}}'


def test_text_narration_escapes_what_the_peer_sends() -> None:
    hostile = b"\x1b]0;owned\x07\x1b[2J\xe2\x80\xaeevil\r\n"
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = str(server.getsockname()[1])
        import threading

        def answer() -> None:
            peer, _ = server.accept()
            with peer:
                peer.sendall(hostile)

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        done = run_netkit("connect", "tcp", "127.0.0.1", port, "--explain", "--recv-only",
                          "-w", "2")  # fmt: skip
        thread.join(5)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("+")]
    assert any(line.split()[1].startswith("recv(") for line in lines)
    assert_safe("\n".join(lines))
    assert any("\\x1b]0;owned\\x07" in line or "\\033]0;owned\\007" in line for line in lines)


def test_explain_refuses_tls() -> None:
    result = run_netkit("connect", "tcp", "127.0.0.1", "1", "--tls", "--explain")
    assert result.returncode == 2 and "--explain" in result.stderr
