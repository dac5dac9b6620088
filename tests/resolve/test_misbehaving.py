"""--dns against servers that misbehave: every failure is one line on stderr and exit 1."""

import json
import socket

import pytest

from tests.resolve import fake_servers
from tests.resolve.fake_servers import Behaviour, fake_server
from tests.support import free_port, run_netkit

# Short, but long enough that a loaded machine still delivers the bad replies within each try.
FAST = ["--timeout", "0.5", "--retries", "1"]


def ask(port: int, *args: str) -> tuple[int, str, str]:
    done = run_netkit("resolve", "@127.0.0.1", "-p", str(port), *FAST, *args)
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    ("behaviour", "ignored"),
    [
        (fake_servers.silent, ""),
        (fake_servers.garbage, " (ignored replies: 4 malformed)"),
        (fake_servers.wrong_id, " (ignored replies: 2 with the wrong id)"),
        (fake_servers.wrong_question, " (ignored replies: 2 for another question)"),
    ],
)
def test_no_acceptable_reply_times_out_and_says_what_came(
    behaviour: Behaviour, ignored: str
) -> None:
    with fake_server(behaviour) as port:
        status, stdout, stderr = ask(port, "www.example.test")
    assert (status, stdout) == (1, "")
    assert stderr == (
        f"netkit: error: no reply from 127.0.0.1#{port} after 2 tries of 0.5 s each{ignored}\n"
    )


def test_a_spoofed_reply_does_not_hide_the_real_one() -> None:
    with fake_server(fake_servers.wrong_id_then_right) as port:
        status, stdout, _ = ask(port, "--short", "www.example.test")
    assert (status, stdout) == (0, "192.0.2.2\n")


def test_a_server_without_edns_is_asked_again_without_it() -> None:
    with fake_server(fake_servers.no_edns) as port:
        done = run_netkit("resolve", "@127.0.0.1", "-p", str(port), *FAST, "x.test", "--json")
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert (result["rcode"], result["edns"], result["answers"][0]["data"]) == (
        "NOERROR",
        None,
        "192.0.2.1",
    )


def test_truncated_reply_with_tcp_refused() -> None:
    with fake_server(fake_servers.truncated) as port:
        status, _, stderr = ask(port, "www.example.test")
    assert status == 1
    assert stderr == (
        f"netkit: error: reply truncated over UDP; TCP to 127.0.0.1#{port}: Connection refused\n"
    )


def test_truncated_reply_is_asked_again_over_tcp() -> None:
    with fake_server(fake_servers.truncated, tcp=fake_servers.tcp_answer) as port:
        done = run_netkit("resolve", "@127.0.0.1", "-p", str(port), *FAST, "x.test", "--json")
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert (result["transport"], result["answers"][0]["data"]) == ("tcp", "192.0.2.3")


@pytest.mark.parametrize(
    ("tcp", "message"),
    [
        (
            fake_servers.tcp_silent,
            "no reply over TCP from 127.0.0.1#{port} after 2 tries of 0.5 s each",
        ),
        (
            fake_servers.tcp_wrong_id,
            "reply truncated over UDP; TCP to 127.0.0.1#{port}: the server closed the "
            "connection before replying (ignored replies: 1 with the wrong id)",
        ),
    ],
)
def test_tcp_fallback_failures(tcp: fake_servers.TcpBehaviour, message: str) -> None:
    with fake_server(fake_servers.truncated, tcp=tcp) as port:
        status, _, stderr = ask(port, "www.example.test")
    assert status == 1
    assert stderr.startswith("netkit: error: " + message.format(port=port))


def test_tcp_server_closing_after_each_answer_gets_every_query_asked_again() -> None:
    # The fake TCP server answers one query per connection and closes it (RFC 7766 lets it):
    # pipelined queries still waiting go out again on a new connection.
    names = [f"n{i}.test" for i in range(12)]
    with fake_server(fake_servers.silent, tcp=fake_servers.tcp_answer) as port:
        done = run_netkit("resolve", "--tcp", "@127.0.0.1", "-p", str(port), *FAST, *names,
                          "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [r["answers"][0]["data"] for r in json.loads(done.stdout)] == ["192.0.2.3"] * 12


def test_closed_udp_port_is_connection_refused() -> None:
    port = free_port(socket.SOCK_DGRAM)
    status, _, stderr = ask(port, "www.example.test")
    assert status == 1
    assert stderr == f"netkit: error: connection refused by 127.0.0.1#{port} (UDP)\n"


def test_tcp_connection_refused() -> None:
    port = free_port()
    status, _, stderr = ask(port, "--tcp", "www.example.test")
    assert status == 1
    assert stderr == f"netkit: error: TCP to 127.0.0.1#{port}: Connection refused\n"


@pytest.mark.parametrize(
    ("code", "message"),
    [(2, "the server failed to answer (SERVFAIL)"), (5, "the server refused the query (REFUSED)")],
)
def test_error_rcodes(code: int, message: str) -> None:
    with fake_server(fake_servers.rcode(code)) as port:
        status, _, stderr = ask(port, "--short", "www.example.test")
    assert status == 1
    assert stderr == f"netkit: error: www.example.test. A: {message} from 127.0.0.1#{port}\n"


def test_batch_against_a_silent_server_fails_every_row_in_order() -> None:
    with fake_server(fake_servers.silent) as port:
        done = run_netkit(
            "resolve", "@127.0.0.1", "-p", str(port), "--timeout", "0.2", "--retries", "0",
            "a.test", "b.test", "c.test", "--json",
        )  # fmt: skip
    assert done.returncode == 1
    results = json.loads(done.stdout)
    assert [r["name"] for r in results] == ["a.test", "b.test", "c.test"]
    assert all(r["rcode"] is None and "no reply" in r["error"] for r in results)
