"""nc's habits end to end: tcp by default, -C, -s/--source-port, --send-only, --recv-only."""

import socket
import threading

from tests.connect.servers import echo_all, reply_after_eof, stream_server
from tests.connect.test_connect import connect, json_log
from tests.support import free_port


def test_host_port_without_a_transport_means_tcp() -> None:
    with stream_server(echo_all) as (host, port):
        result = connect(host, str(port), data=b"no tcp typed\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"no tcp typed\n"


def test_options_before_the_host_still_mean_tcp() -> None:
    with stream_server(echo_all) as (host, port):
        result = connect("-v", "-4", host, str(port), data=b"x")
    assert result.returncode == 0, result.stderr
    assert b"(tcp)" in result.stderr


def test_crlf_sends_cr_lf_and_leaves_cr_lf_alone() -> None:
    with stream_server(reply_after_eof(0)) as (host, port):
        result = connect(host, str(port), "-C", data=b"EHLO a\nDATA\r\n.\n")
    assert result.stdout == b"EHLO a\r\nDATA\r\n.\r\n"


def test_source_address_and_port_are_bound_before_connecting() -> None:
    seen: list[tuple[str, int]] = []

    def record(conn: socket.socket) -> None:
        seen.append(conn.getpeername()[:2])
        conn.sendall(b"ok")

    source_port = free_port(host="127.0.0.2")
    with stream_server(record) as (host, port):
        result = connect(
            "tcp", "-s", "127.0.0.2", "--source-port", str(source_port), host, str(port)
        )
    assert result.returncode == 0, result.stderr
    assert seen == [("127.0.0.2", source_port)]


def test_send_only_ends_when_stdin_ends_and_ignores_the_peer() -> None:
    hold = threading.Event()

    def chatty_and_never_closing(conn: socket.socket) -> None:
        conn.sendall(b"ignored")
        hold.wait(10)

    with stream_server(chatty_and_never_closing) as (host, port):
        result = connect(host, str(port), "--send-only", "--json", data=b"sent", timeout=5)
        hold.set()
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert json_log(result.stderr)[-1]["ended"] == "stdin ended (send only)"


def test_recv_only_sends_nothing_not_even_the_fin() -> None:
    received: list[bytes] = []

    def greet_then_read(conn: socket.socket) -> None:
        conn.sendall(b"banner\n")
        conn.settimeout(0.5)
        try:
            received.append(conn.recv(100))
        except TimeoutError:
            received.append(b"(nothing: no data and no FIN)")

    with stream_server(greet_then_read) as (host, port):
        result = connect(host, str(port), "--recv-only", data=b"must not be sent")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"banner\n"
    assert received == [b"(nothing: no data and no FIN)"]


def test_send_only_and_recv_only_exclude_each_other() -> None:
    result = connect("127.0.0.1", "1", "--send-only", "--recv-only")
    assert result.returncode == 2


def test_listen_takes_the_port_as_an_argument_or_with_p() -> None:
    from tests.support import netkit_process

    for argv in (["listen"], ["listen", "tcp"], ["listen", "tcp", "-p"]):
        port = free_port()
        with netkit_process(*argv, str(port), ready=r"listening on tcp"):
            result = connect("127.0.0.1", str(port), data=b"echo me")
        assert result.stdout == b"echo me", argv


def test_listen_port_argument_and_option_must_agree() -> None:
    from tests.support import run_netkit

    result = run_netkit("listen", "tcp", "7001", "--port", "7002")
    assert result.returncode == 2
    assert "disagree" in result.stderr


def test_zero_io_refuses_the_options_it_would_ignore() -> None:
    with stream_server(echo_all) as (host, port):
        for extra in (["-C"], ["--send-only"], ["--recv-only"], ["--raw"], ["--no-half-close"],
                      ["--tls"]):  # fmt: skip
            result = connect(host, str(port), "-z", *extra)
            assert result.returncode == 2, extra
            assert f"-z and {extra[0]} exclude each other" in result.stderr.decode()
        for path_extra in (["-C"], ["--recv-only"]):
            result = connect("unix", "/nonexistent.sock", "-z", *path_extra)
            assert result.returncode == 2, path_extra
        assert connect(host, str(port), "-z", "-w", "2").returncode == 0


def test_zero_io_port_list_refuses_what_the_scan_cannot_do() -> None:
    with stream_server(echo_all) as (host, port):
        for extra in (["-s", "127.0.0.1"], ["-p", str(free_port())], ["-v"]):
            result = connect(host, f"{port},{port}", "-z", *extra)
            assert result.returncode == 2, extra
            assert f"-z and {extra[0]} exclude each other" in result.stderr.decode()
        assert connect(host, f"{port},1", "-z").returncode == 0


def test_tls_check_refuses_the_relay_options_it_would_ignore() -> None:
    # --check prints the diagnosis and exits: refused before any connection is tried.
    for argv in (["tls", "127.0.0.1", "1", "--check"], ["127.0.0.1", "1", "--tls", "--check"]):
        for extra in (["-C"], ["--send-only"], ["--recv-only"], ["--raw"], ["--no-half-close"]):
            result = connect(*argv, *extra)
            assert result.returncode == 2, (argv, extra)
            assert f"--check and {extra[0]} exclude each other" in result.stderr.decode()
