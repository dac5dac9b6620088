"""UDP (netkit/listen/datagram.py): every datagram back to its sender, any number of peers,
up to 65,507 bytes, through ICMP errors, for every design that can wait on one socket."""

import socket

import pytest

from tests.listen.checks import Start
from tests.listen.clients import payload, wait_until

UDP_MUXES = ("blocking", "select", "poll", "epoll")
MAX_IPV4_PAYLOAD = 65507  # 65,535 - 20 (IPv4 header) - 8 (UDP header)


def _peer(timeout: float = 5) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.mark.parametrize("mux", UDP_MUXES)
def test_each_peer_gets_its_own_datagrams(listener_factory: Start, mux: str) -> None:
    listener = listener_factory("udp", "--port", "0", "--mux", mux)
    target = ("127.0.0.1", listener.port)
    peers = [_peer() for _ in range(20)]
    try:
        for round_ in range(3):  # all peers interleaved: nobody is locked to the first one
            for index, peer in enumerate(peers):
                peer.sendto(f"peer {index} round {round_}".encode(), target)
            for index, peer in enumerate(peers):
                data, source = peer.recvfrom(65535)
                assert data == f"peer {index} round {round_}".encode()
                assert source == target
        biggest = payload(MAX_IPV4_PAYLOAD, seed=4)
        peers[0].sendto(biggest, target)
        assert peers[0].recvfrom(65535)[0] == biggest
    finally:
        for peer in peers:
            peer.close()


@pytest.mark.parametrize("mux", UDP_MUXES)
def test_vanished_peers_do_not_stop_it(listener_factory: Start, mux: str) -> None:
    listener = listener_factory("udp", "--port", "0", "--mux", mux)
    target = ("127.0.0.1", listener.port)
    for _ in range(200):  # each reply hits a closed port: ICMP port unreachable comes back
        gone = _peer()
        gone.sendto(b"bye", target)
        gone.close()
    with _peer() as alive:
        alive.sendto(b"still there?", target)
        assert alive.recvfrom(100)[0] == b"still there?"
    assert listener.process.proc.poll() is None


def test_ipv6_and_summary_counts_datagrams(listener_factory: Start) -> None:
    listener = listener_factory("udp", "--host", "::1", "--port", "0")
    assert listener.address.startswith("[::1]:")
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as peer:
        peer.settimeout(5)
        for _ in range(3):
            peer.sendto(b"six", ("::1", listener.port))
            assert peer.recv(10) == b"six"
    assert listener.process.stop() == 0
    summary = "\n".join(listener.process.stderr_lines)
    assert "datagrams in" in summary and "3" in summary


def test_discard_answers_nothing(listener_factory: Start) -> None:
    listener = listener_factory("udp", "--port", "0", "--discard")
    with _peer(timeout=0.3) as peer:
        peer.sendto(b"into the void", ("127.0.0.1", listener.port))
        with pytest.raises(TimeoutError):
            peer.recv(100)


def test_deny_drops_datagrams_and_logs_once(listener_factory: Start) -> None:
    listener = listener_factory("udp", "--port", "0", "--deny", "127.0.0.0/8")
    with _peer(timeout=0.3) as peer:
        for _ in range(3):
            peer.sendto(b"let me in", ("127.0.0.1", listener.port))
        with pytest.raises(TimeoutError):
            peer.recv(100)
    listener.process.wait_for_stderr(r"refused 127\.0\.0\.1:\d+: denied by --deny 127\.0\.0\.0/8")
    assert sum("refused" in line for line in listener.process.stderr_lines) == 1


@pytest.mark.parametrize("mux", UDP_MUXES)
def test_once_exits_after_the_first_served_datagram_not_a_refused_one(
    listener_factory: Start, mux: str
) -> None:
    listener = listener_factory(
        "udp", "--port", "0", "--mux", mux, "--once", "--deny", "127.0.0.2/32"
    )
    target = ("127.0.0.1", listener.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as denied:
        denied.bind(("127.0.0.2", 0))  # still loopback: all of 127.0.0.0/8 is
        denied.sendto(b"not me", target)
    listener.process.wait_for_stderr(r"refused 127\.0\.0\.2:\d+: denied by --deny")
    assert not wait_until(lambda: listener.process.proc.poll() is not None, timeout=0.5)
    with _peer() as served:
        served.sendto(b"me", target)
        assert served.recvfrom(100)[0] == b"me"
    assert wait_until(lambda: listener.process.proc.poll() is not None, timeout=10)
    assert listener.process.proc.returncode == 0
