"""HOST:PORT and [V6]:PORT as one argument, service names as ports, and -v's refused line once."""

import socket

import pytest

from tests.connect.servers import echo_all, ipv6_loopback_works, stream_server
from tests.connect.test_connect import connect
from tests.support import free_port


@pytest.mark.parametrize("words", [("tcp",), ()], ids=["connect tcp", "nc form"])
def test_host_colon_port_is_one_argument(words: tuple[str, ...]) -> None:
    with stream_server(echo_all) as (host, port):
        result = connect(*words, f"{host}:{port}", data=b"one argument\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"one argument\n"


@pytest.mark.skipif(not ipv6_loopback_works(), reason="no IPv6 loopback here")
def test_bracketed_ipv6_with_a_port() -> None:
    with stream_server(echo_all, socket.AF_INET6) as (host, port):
        joined = connect("tcp", f"[{host}]:{port}", data=b"v6\n")
        apart = connect("tcp", f"[{host}]", str(port), data=b"v6 apart\n")
    assert joined.returncode == 0, joined.stderr
    assert joined.stdout == b"v6\n"
    assert apart.stdout == b"v6 apart\n"


def test_a_missing_port_says_how_to_write_it() -> None:
    result = connect("tcp", "127.0.0.1")
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "HOST PORT, HOST:PORT or [V6]:PORT" in message
    assert "Missing argument" not in message


def test_two_ports_are_refused() -> None:
    result = connect("tcp", "127.0.0.1:80", "81")
    assert result.returncode == 2
    assert "not both" in result.stderr.decode()


def test_a_refused_connection_is_reported_once_with_verbose() -> None:
    port = free_port()
    result = connect("tcp", "-v", "127.0.0.1", str(port))
    assert result.returncode == 1
    lines = [line for line in result.stderr.decode().splitlines() if "failed" in line]
    assert lines == [f"netkit: error: connect to 127.0.0.1:{port} (tcp) failed: Connection refused"]


def test_an_unknown_service_name_is_a_usage_error() -> None:
    result = connect("udp", "127.0.0.1", "no-such-service-here")
    assert result.returncode == 2
    assert "not a port number or a service name" in result.stderr.decode()
