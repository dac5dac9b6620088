"""Zone transfers (AXFR, IXFR) against NSD with dig as the judge, and against small fake
servers for what NSD does not send here (an incremental IXFR, a stream cut short, silence)."""

import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.message
import dns.rrset
import pytest

from netkit.resolve.xfr import Transfer, XfrError
from tests.resolve.nsd import Nsd, running_nsd
from tests.resolve.test_dns import normalize
from tests.support import netkit_executable, require_tool, run_netkit

ZONE = "big.test."
SERIAL = 2024060101
RECORDS = 4000  # several messages of NSD's (it packs about a hundred records in each)
CLOSED_ZONE = "closed.test."


def big_zone() -> str:
    lines = [
        f"$ORIGIN {ZONE}",
        "$TTL 600",
        f"@ IN SOA ns1 hostmaster {SERIAL} 3600 600 86400 300",
        "@ IN NS ns1",
        "@ IN MX 10 mail",
        "ns1 IN A 127.0.0.1",
    ]
    for i in range(RECORDS):
        lines.append(f"host{i:05d} IN A 10.{i // 65536}.{i // 256 % 256}.{i % 256}")
        if i % 10 == 0:
            lines.append(f'host{i:05d} IN TXT "record {i} of the big zone"')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def xfr_nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nsd]:
    """NSD with a zone of thousands of records, and a zone it will not transfer."""
    binary = require_tool("nsd")
    directory: Path = tmp_path_factory.mktemp("nsd-xfr")
    (directory / "closed.zone").write_text(
        f"$ORIGIN {CLOSED_ZONE}\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
        "@ IN NS ns1\nns1 IN A 127.0.0.1\n"
    )
    # running_nsd lets every zone it writes be transferred to loopback clients; this one,
    # appended after the server: clause, has no provide-xfr line and so answers REFUSED.
    closed = f'zone:\n  name: "{CLOSED_ZONE}"\n  zonefile: "closed.zone"\n'
    with running_nsd(binary, directory, {ZONE: big_zone()}, server_options=closed) as server:
        yield server


def dig_axfr(nsd: Nsd, zone: str) -> tuple[list[tuple[str, int, str, str]], str]:
    """dig's records (normalized) and its ';; XFR size' line."""
    dig = require_tool("dig")
    done = subprocess.run(
        [dig, "@127.0.0.1", "-p", str(nsd.port), zone, "AXFR"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    records = []
    size = ""
    for line in done.stdout.splitlines():
        if line.startswith(";; XFR size:"):
            size = line
        elif line and not line.startswith(";"):
            owner, ttl, _klass, kind, data = line.split(None, 4)
            records.append((owner, int(ttl), kind, normalize(kind, data)))
    return records, size


def netkit_records(lines: list[str]) -> list[tuple[str, int, str, str]]:
    records = []
    for line in lines:
        owner, ttl, _klass, kind, data = line.split("\t", 4)
        records.append((owner, int(ttl), kind, normalize(kind, data)))
    return records


def test_axfr_matches_dig_record_for_record(xfr_nsd: Nsd) -> None:
    expected, dig_size = dig_axfr(xfr_nsd, ZONE)
    # No --tcp: a transfer always goes over TCP.
    done = run_netkit("resolve", f"@127.0.0.1#{xfr_nsd.port}", ZONE, "-t", "AXFR")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    records = netkit_records([line for line in lines if not line.startswith(";")])
    assert len(records) == len(expected) == RECORDS + RECORDS // 10 + 5
    assert sorted(records) == sorted(expected)
    assert records[0][2] == records[-1][2] == "SOA"
    # dig's size line, figure for figure: records, messages, and the messages' octets.
    assert lines[-1] == dig_size
    assert "(messages 1," not in dig_size  # the transfer did take several messages
    assert lines[-2] == f";; SERVER: 127.0.0.1#{xfr_nsd.port}(127.0.0.1) (TCP)"


def test_axfr_json_is_one_document_and_jsonl_a_record_a_line(xfr_nsd: Nsd) -> None:
    at = f"@127.0.0.1#{xfr_nsd.port}"
    document = json.loads(run_netkit("resolve", at, ZONE, "AXFR", "--json").stdout)
    total = RECORDS + RECORDS // 10 + 5
    assert len(document["records"]) == document["record_count"] == total
    assert document["records"][0] == {
        "name": ZONE,
        "type": "SOA",
        "ttl": 600,
        "data": f"ns1.{ZONE} hostmaster.{ZONE} {SERIAL} 3600 600 86400 300",
        "rdclass": "IN",
    }
    assert document["messages"] > 1
    assert (document["type"], document["style"], document["serial"]) == ("AXFR", "full", SERIAL)
    assert document["error"] is None
    jsonl = run_netkit("resolve", at, ZONE, "AXFR", "--jsonl")
    assert [json.loads(line) for line in jsonl.stdout.splitlines()] == document["records"]
    assert jsonl.stderr.startswith(f"netkit: summary: AXFR of {ZONE}: {total} records (messages")
    short = run_netkit("resolve", at, ZONE, "AXFR", "--short")
    assert short.stdout.splitlines() == [r["data"] for r in document["records"]]
    assert short.stderr == ""


def test_ixfr_from_the_current_serial_is_up_to_date(xfr_nsd: Nsd) -> None:
    done = run_netkit("resolve", f"@127.0.0.1#{xfr_nsd.port}", ZONE, f"IXFR={SERIAL}", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert (document["style"], document["record_count"]) == ("up-to-date", 1)


def test_ixfr_without_history_is_answered_with_the_whole_zone(xfr_nsd: Nsd) -> None:
    # NSD keeps no IXFR history for a zone loaded from a file: it answers in the AXFR style.
    done = run_netkit("resolve", f"@127.0.0.1#{xfr_nsd.port}", ZONE, "-t", "IXFR",
                      "--serial", str(SERIAL - 1), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert (document["type"], document["style"]) == ("IXFR", "full")
    assert document["record_count"] == RECORDS + RECORDS // 10 + 5


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        (CLOSED_ZONE, f"zone transfer of {CLOSED_ZONE} refused by the server (REFUSED) from "),
        (
            "host00001.big.test",
            "zone transfer of host00001.big.test. refused: the server is not authoritative "
            "for it (NOTAUTH) from ",
        ),
    ],
)
def test_a_refused_transfer_is_one_error_line(xfr_nsd: Nsd, zone: str, message: str) -> None:
    message += f"127.0.0.1#{xfr_nsd.port}"
    done = run_netkit("resolve", f"@127.0.0.1#{xfr_nsd.port}", zone, "AXFR")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"netkit: error: {message}\n"
    document = run_netkit("resolve", f"@127.0.0.1#{xfr_nsd.port}", zone, "AXFR", "--json")
    assert document.returncode == 1
    assert json.loads(document.stdout)["error"] == message  # the document is still closed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["big.test", "-t", "IXFR"], "-t IXFR needs --serial N"),
        (["big.test", "-t", "AXFR", "--serial", "3"], "--serial is for -t IXFR"),
        (["big.test", "-t", "AXFR", "-t", "A"], "one zone and one type"),
        (["big.test", "AXFR", "--tls"], "no --tls or --https"),
    ],
)
def test_transfer_usage_errors(argv: list[str], message: str) -> None:
    done = run_netkit("resolve", "@127.0.0.1#9", *argv)
    assert done.returncode == 2
    assert message in done.stderr


# -- fake servers: the incremental form, a cut, silence -----------------------------------

Reply = Callable[[dns.message.Message], list[bytes]]


@contextmanager
def xfr_server(reply: Reply, *, then: str = "close") -> Iterator[int]:
    """One TCP connection on 127.0.0.1: read the query, send reply's messages, then close
    the connection or hold it open in silence (then='hold'); yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    done = threading.Event()

    def serve() -> None:
        try:
            connection, _peer = listener.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(5)
            length = int.from_bytes(connection.recv(2), "big")
            query = dns.message.from_wire(connection.recv(length))
            for message in reply(query):
                connection.sendall(len(message).to_bytes(2, "big") + message)
            if then == "hold":
                done.wait(10)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        done.set()
        listener.close()
        thread.join(10)


def soa(serial: int) -> str:
    return f"ns1.nk.test. hostmaster.nk.test. {serial} 3600 600 86400 300"


def messages(query: dns.message.Message, *groups: list[tuple[str, str, str]]) -> list[bytes]:
    """A reply to query for each group of (owner, type, rdata) records."""
    wires = []
    for group in groups:
        response = dns.message.make_response(query)
        for owner, rdtype, rdata in group:
            response.answer.append(dns.rrset.from_text(owner, 300, "IN", rdtype, rdata))
        wires.append(response.to_wire())
    return wires


# RFC 1995 section 7's example: from serial 1 to 3 in two steps, over two messages.
INCREMENTAL = [
    [("nk.test.", "SOA", soa(3)), ("nk.test.", "SOA", soa(1)), ("a.nk.test.", "A", "192.0.2.1"),
     ("nk.test.", "SOA", soa(2)), ("b.nk.test.", "A", "192.0.2.2")],
    [("nk.test.", "SOA", soa(2)), ("b.nk.test.", "A", "192.0.2.2"), ("nk.test.", "SOA", soa(3)),
     ("c.nk.test.", "A", "192.0.2.3"), ("nk.test.", "SOA", soa(3))],
]  # fmt: skip


def test_an_incremental_ixfr_is_read_to_its_final_soa() -> None:
    with xfr_server(lambda query: messages(query, *INCREMENTAL)) as port:
        transfer = Transfer("nk.test", server=("127.0.0.1", port), rdtype="IXFR", serial=1)
        records = [(r.name, r.type, r.data) for r in transfer]
    assert records == [record for group in INCREMENTAL for record in group]
    assert transfer.summary is not None
    assert (transfer.summary.style, transfer.summary.serial) == ("incremental", 3)
    assert (transfer.summary.records, transfer.summary.messages) == (10, 2)


def test_an_incremental_ixfr_through_the_command() -> None:
    with xfr_server(lambda query: messages(query, *INCREMENTAL)) as port:
        done = run_netkit("resolve", f"@127.0.0.1#{port}", "nk.test", "IXFR=1", "--short")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [data for group in INCREMENTAL for _, _, data in group]


def test_an_ixfr_that_stops_before_the_current_serial_is_an_error() -> None:
    # The second step's deletions start from serial 1 again: not where the first step ended.
    wrong = [[*INCREMENTAL[0], ("nk.test.", "SOA", soa(1))]]
    with xfr_server(lambda query: messages(query, *wrong)) as port:
        transfer = Transfer("nk.test", server=("127.0.0.1", port), rdtype="IXFR", serial=1)
        with pytest.raises(XfrError, match="IXFR deletes from serial 1, not from 2"):
            list(transfer)


def test_a_stream_cut_short_keeps_what_came_and_says_so() -> None:
    first = [("nk.test.", "SOA", soa(5)), ("a.nk.test.", "A", "192.0.2.1")]
    with xfr_server(lambda query: messages(query, first)) as port:
        done = run_netkit("resolve", f"@127.0.0.1#{port}", "nk.test", "AXFR", "--json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert [r["name"] for r in document["records"]] == ["nk.test.", "a.nk.test."]
    assert document["error"] == (
        f"127.0.0.1#{port} closed the connection before the transfer ended (after 2 records)"
    )
    assert "record_count" not in document


def test_a_silent_server_times_out_after_the_records_it_sent() -> None:
    first = [("nk.test.", "SOA", soa(5)), ("a.nk.test.", "A", "192.0.2.1")]
    with xfr_server(lambda query: messages(query, first), then="hold") as port:
        transfer = Transfer("nk.test", server=("127.0.0.1", port), timeout=0.3)
        seen = []
        with pytest.raises(XfrError, match=r"no reply from .* in 0.3 s \(the transfer stopped"):
            for record in transfer:
                seen.append(record.name)
    assert seen == ["nk.test.", "a.nk.test."]  # the records came out before the end


def test_records_are_written_before_the_transfer_ends() -> None:
    first = [("nk.test.", "SOA", soa(5)), ("a.nk.test.", "A", "192.0.2.1")]
    with xfr_server(lambda query: messages(query, first), then="hold") as port:
        process = subprocess.Popen(
            [netkit_executable(), "resolve", f"@127.0.0.1#{port}", "nk.test", "AXFR",
             "--jsonl", "--timeout", "5"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(2)]  # while the server holds
            assert [json.loads(line)["name"] for line in lines] == ["nk.test.", "a.nk.test."]
        finally:
            process.kill()
            process.wait(5)


def test_a_transfer_that_does_not_start_with_the_soa_is_refused() -> None:
    bad = [[("a.nk.test.", "A", "192.0.2.1")]]
    with (
        xfr_server(lambda query: messages(query, *bad)) as port,
        pytest.raises(XfrError, match=r"does not start with the SOA of nk\.test\."),
    ):
        list(Transfer("nk.test", server=("127.0.0.1", port)))


def test_ctrl_c_in_a_transfer_closes_the_document_and_exits_130() -> None:
    first = [("nk.test.", "SOA", soa(5)), ("a.nk.test.", "A", "192.0.2.1")]
    with xfr_server(lambda query: messages(query, first), then="hold") as port:
        process = subprocess.Popen(
            [netkit_executable(), "resolve", f"@127.0.0.1#{port}", "nk.test", "AXFR",
             "--json", "--timeout", "30"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            # The records array opens and the first message's records are flushed out (the
            # last one waits for the separator or the closing bracket to end its line).
            opening = b"".join(process.stdout.readline() for _ in range(3))
            assert opening.count(b'"name"') == 1
            time.sleep(0.2)
            process.send_signal(signal.SIGINT)
            # Read on through the same buffered reader (communicate() would skip what it
            # holds); a timer bounds the wait.
            killer = threading.Timer(10, process.kill)
            killer.start()
            rest = process.stdout.read()
            assert process.stderr is not None
            err = process.stderr.read()
            process.wait(10)
            killer.cancel()
        finally:
            process.kill()
            process.wait(5)
    assert process.returncode == 130
    document = json.loads(opening + rest)
    assert [r["name"] for r in document["records"]] == ["nk.test.", "a.nk.test."]
    assert document["error"] == "interrupted"
    assert b"Traceback" not in err
