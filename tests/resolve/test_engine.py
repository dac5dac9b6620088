"""The batch engine's retry policy and bookkeeping, through run_queries against fake servers.

Which server a try goes to, what a timeout message counts, and which query a thrown-away reply
is charged to: the parts of the engine no NSD test reaches.
"""

import socket

import pytest

from netkit.resolve.inflight import Channel, InFlight
from netkit.resolve.query import DnsOptions, DnsQuestion, DnsResult, run_queries
from tests.resolve import fake_servers
from tests.resolve.fake_servers import fake_server
from tests.support import free_port

TIMEOUT = 0.3


def ask(ports: list[int], names: list[str], *, tries: int, tcp: bool = False) -> list[DnsResult]:
    options = DnsOptions(
        servers=[("127.0.0.1", port) for port in ports],
        transport="tcp" if tcp else "udp",
        timeout=TIMEOUT,
        tries=tries,
    )
    return run_queries([DnsQuestion(name, "A") for name in names], options)


def test_tries_rotate_through_the_servers() -> None:
    with (
        fake_server(fake_servers.silent) as silent,
        fake_server(fake_servers.wrong_id_then_right) as answering,
    ):
        [result] = ask([silent, answering], ["www.example.test"], tries=2)
    assert (result.port, result.error) == (answering, None)
    assert [record.data for record in result.answers] == ["192.0.2.2"]


def test_a_timeout_names_every_server_and_the_tries() -> None:
    with fake_server(fake_servers.silent) as first, fake_server(fake_servers.silent) as second:
        results = ask([first, second], ["a.test", "b.test"], tries=2)
    where = ", ".join(sorted(f"127.0.0.1#{port}" for port in (first, second)))
    assert [result.error for result in results] == [
        f"no reply from {where} after 2 tries of {TIMEOUT:g} s each"
    ] * 2


def test_ignored_replies_are_charged_to_their_own_query() -> None:
    # A reply for another question came on the query's own (socket, id): it counts for that
    # query alone. A reply with a wrong id counts for the queries waiting on its socket.
    names = ["a.test", "b.test", "c.test"]
    with fake_server(fake_servers.wrong_question) as port:
        results = ask([port], names, tries=2)
    assert {result.error for result in results} == {
        f"no reply from 127.0.0.1#{port} after 2 tries of {TIMEOUT:g} s each"
        " (ignored replies: 2 for another question)"
    }
    with fake_server(fake_servers.wrong_id) as port:
        results = ask([port], names, tries=1)
    assert {result.error for result in results} == {
        f"no reply from 127.0.0.1#{port} after 1 try of {TIMEOUT:g} s each"
        " (ignored replies: 1 with the wrong id)"
    }


def test_a_refused_batch_fails_every_query_at_once() -> None:
    port = free_port(socket.SOCK_DGRAM)
    results = ask([port], ["a.test", "b.test", "c.test", "d.test", "e.test"], tries=3)
    assert {result.error for result in results} == {f"connection refused by 127.0.0.1#{port} (UDP)"}
    assert all(
        result.query_time_ms is not None and result.query_time_ms < 250 for result in results
    )


def test_a_tcp_timeout_retires_the_connection_and_tries_again() -> None:
    with fake_server(fake_servers.silent, tcp=fake_servers.tcp_silent) as port:
        [result] = ask([port], ["www.example.test"], tries=2, tcp=True)
    assert result.transport == "tcp"
    assert result.error == (
        f"no reply over TCP from 127.0.0.1#{port} after 2 tries of {TIMEOUT:g} s each"
    )


def test_a_turns_datagrams_go_out_together_after_its_queries_are_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A server answers a query faster than the engine makes the next one: datagrams sent as
    # each query is made would each find it asleep and pay for waking it. The engine makes a
    # turn's queries, then sends their datagrams back to back.
    events: list[str] = []

    class Recording(socket.socket):
        def send(self, data: "socket._Buffer", flags: int = 0, /) -> int:
            events.append("send")
            return super().send(data, flags)

    made = InFlight.__init__

    def making(self: InFlight, *args: object) -> None:
        events.append("make")
        made(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Channel, "socket_class", Recording)
    monkeypatch.setattr(InFlight, "__init__", making)
    with fake_server(fake_servers.wrong_id_then_right) as port:
        options = DnsOptions(servers=[("127.0.0.1", port)], timeout=5, tries=1, concurrency=16)
        names = [f"n{i}.test" for i in range(40)]
        results = run_queries([DnsQuestion(name, "A") for name in names], options)
    assert [result.error for result in results] == [None] * 40
    assert events[:32] == ["make"] * 16 + ["send"] * 16
    assert events.count("send") == 40
