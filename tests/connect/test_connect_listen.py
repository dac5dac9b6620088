"""`netkit connect` against `netkit listen`: the two halves of issue 4 talking to each other."""

import os
import tempfile

import pytest

from tests.connect.test_connect import connect, json_log
from tests.support import netkit_process

READY = r"listening on (tcp|udp|unix) (\S+) \((\w+)\)"


@pytest.mark.parametrize("mux", ["blocking", "thread", "poll"])
def test_tcp_echo_every_byte_back(mux: str) -> None:
    payload = bytes(range(256)) * 1024
    with netkit_process("listen", "tcp", "--port", "0", "--mux", mux, ready=READY) as server:
        address = server.wait_for_stderr(READY).group(2)
        host, port = address.rsplit(":", 1)
        result = connect("tcp", host, port, data=payload)
    assert result.returncode == 0, result.stderr
    assert result.stdout == payload


def test_udp_echo() -> None:
    with netkit_process("listen", "udp", "--port", "0", ready=READY) as server:
        host, port = server.wait_for_stderr(READY).group(2).rsplit(":", 1)
        result = connect("udp", host, port, "--timeout", "0.5", "--json", data=b"datagram")
    assert result.stdout == b"datagram"
    assert json_log(result.stderr)[-1]["datagrams_received"] == 1


def test_unix_echo() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "echo.sock")
        with netkit_process("listen", "unix", "--path", path, ready=READY):
            result = connect("unix", path, data=b"over a unix socket\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"over a unix socket\n"
