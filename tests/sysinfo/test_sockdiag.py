"""The sock_diag reader's parts: filter programs (run here as the kernel runs them, and by the
kernel on real sockets), tcp_info of every length, and filters pushed to the kernel giving the
same rows as filtering afterwards."""

import os
import socket
import struct
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netkit.sysinfo import sockdiag
from netkit.sysinfo.connection import ConnectionFilter, PortRange, Proto
from netkit.sysinfo.socket_facts import TcpInfo

MY_PID = os.getpid()
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="sock_diag is Linux's")


def run_program(program: sockdiag.Program, sport: int, dport: int) -> bool:
    """inet_diag_bc_run (net/ipv4/inet_diag.c) for the port comparisons netkit emits."""
    code = sockdiag.bc_bytes(program)
    position, remaining = 0, len(code)
    while remaining > 0:
        op, yes, no = struct.unpack_from("=BBH", code, position)
        if op == sockdiag.BC_JMP:
            holds = False
        else:
            port = struct.unpack_from("=BBH", code, position + 4)[2]
            holds = {
                sockdiag.BC_S_GE: sport >= port,
                sockdiag.BC_S_LE: sport <= port,
                sockdiag.BC_D_GE: dport >= port,
                sockdiag.BC_D_LE: dport <= port,
            }[op]
        step = yes if holds else no
        position += step
        remaining -= step
    return remaining == 0


ports = st.integers(0, 65535)
ranges = st.tuples(ports, ports).map(lambda pair: PortRange(min(pair), max(pair)))


@given(
    st.frozensets(ports, max_size=3),
    st.lists(ranges, max_size=3),
    st.lists(ranges, max_size=3),
    ports,
    ports,
)
def test_a_port_program_decides_as_the_python_filter(
    either: frozenset[int],
    sports: list[PortRange],
    dports: list[PortRange],
    sport: int,
    dport: int,
) -> None:
    from netkit.sysinfo.linux import port_program

    wanted = ConnectionFilter(ports=either, sports=tuple(sports), dports=tuple(dports))
    program = port_program(wanted)
    expected = (
        (not either or sport in either or dport in either)
        and (not sports or any(r.low <= sport <= r.high for r in sports))
        and (not dports or any(r.low <= dport <= r.high for r in dports))
    )
    if program is None:
        assert not (either or sports or dports)
    else:
        assert run_program(program, sport, dport) == expected


def test_port_ranges_parse() -> None:
    assert PortRange.parse("80") == PortRange(80, 80)
    assert PortRange.parse("8000-8080") == PortRange(8000, 8080)
    for bad in ("", "x", "80-", "9-8", "65536", "-1"):
        with pytest.raises(ValueError):
            PortRange.parse(bad)


@linux_only
def test_tcp_info_of_an_older_kernel_has_none_for_what_it_lacks() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname(), timeout=5)
        accepted, _ = server.accept()
        with client, accepted:
            client.sendall(b"x" * 100)
            accepted.recv(100)
            raw = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 512)
    assert len(raw) >= sockdiag.TCP_INFO_KNOWN_SIZE  # this kernel's is at least as long
    full = TcpInfo.from_kernel(raw, "cubic")
    old = TcpInfo.from_kernel(raw[: sockdiag.TCP_INFO_BASE_SIZE], "cubic")  # Linux 4.1's size
    assert full.bytes_sent == 100
    assert old.bytes_sent is None and old.bytes_acked is None and old.min_rtt_ms is None
    assert old.delivery_rate_bps is None and old.snd_wnd is None and old.app_limited is None
    assert (old.cwnd, old.mss, old.rtt_ms, old.retrans_total) == (
        full.cwnd, full.mss, full.rtt_ms, full.retrans_total
    )  # fmt: skip
    middle = TcpInfo.from_kernel(raw[:160], None)  # up to data_segs_out (Linux 4.6)
    assert middle.bytes_acked == full.bytes_acked and middle.delivery_rate_bps is None


@pytest.fixture
def my_sockets() -> Iterator[tuple[int, int]]:
    """Two listeners, three connections to the first, a bound UDP socket: (port A, port B)."""
    with socket.create_server(("127.0.0.1", 0)) as a, socket.create_server(("127.0.0.1", 0)) as b:
        clients = [socket.create_connection(a.getsockname(), timeout=5) for _ in range(3)]
        accepted = [a.accept()[0] for _ in clients]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        try:
            yield a.getsockname()[1], b.getsockname()[1]
        finally:
            for s in [*clients, *accepted, udp]:
                s.close()


@linux_only
def test_filters_in_the_kernel_give_the_rows_of_filtering_afterwards(
    my_sockets: tuple[int, int],
) -> None:
    from netkit.sysinfo.linux import read_connections

    a, b = my_sockets
    low, high = min(a, b), max(a, b)
    both: frozenset[Proto] = frozenset({"tcp", "udp"})
    filters = [
        ConnectionFilter(protos=both, ports=frozenset({a})),
        ConnectionFilter(protos=both, ports=frozenset({a, b})),
        ConnectionFilter(protos=both, sports=(PortRange(a, a),)),
        ConnectionFilter(protos=both, dports=(PortRange(a, a),)),
        ConnectionFilter(protos=both, sports=(PortRange(low, high), PortRange(1, 2))),
        ConnectionFilter(protos=both, states=frozenset({"ESTABLISHED"}), ports=frozenset({a})),
        ConnectionFilter(protos=both, listening=True),
        ConnectionFilter(protos=both, states=frozenset({"LISTEN", "ESTABLISHED"})),
        ConnectionFilter(
            protos=both,
            ports=frozenset({a}),
            sports=(PortRange(a, a),),
            dports=(PortRange(1024, 65535),),
        ),
    ]
    for wanted in filters:
        in_kernel = [c for c in read_connections(wanted) if c.pid == MY_PID]
        afterwards = [
            c for c in read_connections(wanted, kernel_filter=False)
            if c.pid == MY_PID and wanted.matches(c)
        ]  # fmt: skip
        assert in_kernel, wanted
        assert {c.cookie for c in in_kernel} == {c.cookie for c in afterwards}, wanted
        assert all(wanted.matches(c) for c in in_kernel), wanted  # nothing left to filter


@linux_only
def test_rows_made_without_the_namedtuple_constructor_have_its_shape(
    my_sockets: tuple[int, int],
) -> None:
    """linux.py and sockdiag.py make their tuples with tuple.__new__, which checks no count:
    each must have exactly its type's fields, with the values the constructor would place."""
    from netkit.sysinfo.connection import Connection
    from netkit.sysinfo.linux import read_connections

    everything = ConnectionFilter(protos=frozenset({"tcp", "udp", "unix"}))
    rows = list(read_connections(everything, info=True, memory=True))
    mine = [c for c in rows if c.pid == MY_PID and c.proto == "tcp"]
    assert mine
    for row in rows:
        assert row == Connection(*row)
        assert len(row) == len(Connection._fields)
        if row.info is not None:
            assert row.info == TcpInfo(*row.info)
            assert len(row.info) == len(TcpInfo._fields)
    assert any(c.info is not None for c in mine)
    for record in sockdiag.dump_inet(socket.AF_INET, socket.IPPROTO_TCP, info=True):
        assert len(record) == len(sockdiag.InetSocket._fields)
        assert record == sockdiag.InetSocket(*record)
    assert {c.local_port for c in mine} >= set(my_sockets)
    assert all(c.user is not None and c.uid == os.geteuid() for c in mine)
