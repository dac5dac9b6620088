"""`listen --exec` and `--sh-exec`: a process per client with the connection as its stdin and
stdout, EOF both ways, --max-conns, the exit status in the log; UDP refused."""

import json
import os
import socket
import tempfile

from tests.connect.test_connect import connect
from tests.listen.clients import Listener
from tests.support import run_netkit


def _start(start: object, *args: str) -> Listener:
    listener = start("tcp", "--port", "0", *args)  # type: ignore[operator]  # listener_factory
    assert isinstance(listener, Listener)
    return listener


def _port(listener: Listener) -> str:
    return listener.address.rsplit(":", 1)[1]


def test_tr_upper_cases_every_byte(listener_factory: object) -> None:
    listener = _start(listener_factory, "--exec", "tr a-z A-Z")
    payload = b"hello, netkit\n" * 20000
    result = connect("127.0.0.1", _port(listener), data=payload)
    assert result.returncode == 0, result.stderr
    assert result.stdout == payload.upper()


def test_output_after_the_clients_eof_is_not_lost(listener_factory: object) -> None:
    # The program reads to EOF (the client's half-close), then answers: a count, then 1 MB.
    program = "wc -c; sleep 0.2; head -c 1000000 /dev/zero"
    listener = _start(listener_factory, "--sh-exec", program)
    result = connect("127.0.0.1", _port(listener), data=b"x" * 123456)
    assert result.returncode == 0, result.stderr
    count, _, rest = result.stdout.partition(b"\n")
    assert int(count) == 123456
    assert rest == bytes(1000000)


def test_unix_socket(listener_factory: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "exec.sock")
        listener = listener_factory("unix", "--path", path, "--exec", "tr a-z A-Z")  # type: ignore[operator]
        assert isinstance(listener, Listener)
        result = connect("unix", path, data=b"over unix\n")
    assert result.stdout == b"OVER UNIX\n"


def test_exit_status_is_logged(listener_factory: object) -> None:
    listener = _start(listener_factory, "--sh-exec", "cat >/dev/null; exit 3", "-v", "--json")
    connect("127.0.0.1", _port(listener), data=b"bye")
    line = listener.process.wait_for_stderr(r'"reason": "exit status 3"')
    assert json.loads(line.string)["reason"] == "exit status 3"


def test_max_conns_applies(listener_factory: object) -> None:
    listener = _start(listener_factory, "--exec", "cat", "--max-conns", "1", "-v")
    with socket.create_connection(("127.0.0.1", int(_port(listener))), timeout=10) as first:
        first.sendall(b"held\n")
        assert first.recv(100) == b"held\n"  # its program is running
        second = connect("127.0.0.1", _port(listener), data=b"", timeout=10)
        assert second.stdout == b""
        listener.process.wait_for_stderr(r"--max-conns 1 reached")


def test_udp_is_refused_with_the_reason() -> None:
    result = run_netkit("listen", "udp", "--exec", "cat")
    assert result.returncode == 2
    assert "UDP has no connections" in result.stderr


def test_idle_timeout_without_tls_is_refused_not_ignored() -> None:
    # The program owns a plain connection, so netkit could never see it idle.
    for flag in ("--exec", "--sh-exec"):
        result = run_netkit("listen", "tcp", "--port", "0", flag, "cat", "--idle-timeout", "1")
        assert result.returncode == 2
        assert f"{flag} and --idle-timeout exclude each other without --tls" in result.stderr
