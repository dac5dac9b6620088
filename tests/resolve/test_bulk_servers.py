"""A batch over several servers and under --rate: queries spread, a server that dies is set
aside without losing a name, and the rate is a ceiling."""

import json
import socket
import threading
import time
from pathlib import Path

from tests.resolve import fake_servers
from tests.resolve.fake_servers import fake_server
from tests.resolve.nsd import Nsd
from tests.support import run_netkit


def wild_names(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "names.txt"
    path.write_text("".join(f"n{i}.wild.example.test\n" for i in range(count)))
    return path


class DyingRelay:
    """Asks NSD for the first `lives` queries, then never answers again (a server that died)."""

    def __init__(self, nsd_port: int, lives: int) -> None:
        self.lives = lives
        self.unanswered = 0  # queries that came after it died
        self.lock = threading.Lock()
        self.upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.upstream.connect(("127.0.0.1", nsd_port))
        self.upstream.settimeout(2)

    def __call__(self, query: bytes) -> list[bytes]:
        with self.lock:
            if self.lives <= 0:
                self.unanswered += 1
                return []
            self.lives -= 1
            self.upstream.send(query)
            return [self.upstream.recv(65535)]


def test_a_server_that_dies_mid_batch_loses_no_name(nsd: Nsd, tmp_path: Path) -> None:
    names = wild_names(tmp_path, 3000)
    relay = DyingRelay(nsd.port, lives=300)
    with fake_server(relay) as dying:
        done = run_netkit(
            "resolve", "--dns", "-s", f"127.0.0.1#{dying}", "-s", f"127.0.0.1#{nsd.port}",
            "--timeout", "0.5", "--retries", "0", "-f", str(names), "--jsonl",
            timeout=120,
        )  # fmt: skip
    relay.upstream.close()
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["name"] for r in results] == [f"n{i}.wild.example.test" for i in range(3000)]
    assert all(r["answers"][0]["data"] == "192.0.2.99" for r in results)
    answered_by = [r["port"] for r in results]
    # Spread over both while both answered; the JSON says which server answered each. The
    # batch is cut into chunks for worker processes (resolve/split.py), each with its own
    # engine: the second chunk (names 2048 on) starts while the first does, and both have used
    # up the dying server's 300 replies within their first few hundred names.
    assert 0 < answered_by.count(dying) <= 300
    assert answered_by[-500:] == [nsd.port] * 500


def test_a_dead_server_stays_set_aside_from_one_chunk_to_the_next(nsd: Nsd, tmp_path: Path) -> None:
    # A file this long is resolved by worker processes, a chunk of names at a time, each chunk
    # by an engine of its own (cli/resolve.py BULK_CHUNK): what a worker learnt of a dead
    # server must outlive the chunk, or every chunk would send it queries and wait them out.
    chunks = 8
    names = wild_names(tmp_path, 2048 * chunks)
    relay = DyingRelay(nsd.port, lives=300)
    with fake_server(relay) as dying:
        done = run_netkit(
            "resolve", "--dns", "-s", f"127.0.0.1#{dying}", "-s", f"127.0.0.1#{nsd.port}",
            "--timeout", "0.5", "--retries", "0", "-f", str(names), "--short", "-q",
            timeout=120,
        )  # fmt: skip
    relay.upstream.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["192.0.2.99"] * (2048 * chunks)
    # Each worker sets the dead server aside once, after a few timeouts in a row (with the
    # queries already in flight to it): 64 queries came to it after it died, where an engine
    # a chunk that had to find out again each time sent it 257.
    assert relay.unanswered < 128, f"{relay.unanswered} queries to the dead server"


def test_a_refusing_server_from_the_servers_file_is_set_aside(nsd: Nsd, tmp_path: Path) -> None:
    # NSD listens on 127.0.0.1 alone: 127.0.0.2 refuses (ICMP port unreachable), and the
    # queries spread to it are asked of the other at once, without using up their tries.
    servers = tmp_path / "servers.txt"
    servers.write_text(f"# two servers\n127.0.0.2#{nsd.port}\n\n127.0.0.1#{nsd.port}\n")
    names = wild_names(tmp_path, 100)
    done = run_netkit(
        "resolve", "--servers-file", str(servers), "--retries", "0", "-f", str(names), "--jsonl"
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == 100
    assert {r["server"] for r in results} == {"127.0.0.1"}


def test_rate_is_a_ceiling(tmp_path: Path) -> None:
    arrivals: list[float] = []

    def counting(query: bytes) -> list[bytes]:
        arrivals.append(time.monotonic())
        return [fake_servers.answer(query).to_wire()]

    rate, count = 1000, 5000
    with fake_server(counting) as port:
        done = run_netkit(
            "resolve", "@127.0.0.1", "-p", str(port), "--rate", str(rate), "--jsonl", "-q",
            "-f", str(wild_names(tmp_path, count)), timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == count
    assert len(arrivals) == count  # no retries were needed
    # A slow machine can only send slower: the ceiling is what is asserted, not the speed.
    # Over the whole run (5 s at the rate) and over every second of it, within 10%.
    assert arrivals[-1] - arrivals[0] >= (count - 1) / rate / 1.1
    window = 0
    for position, arrived in enumerate(arrivals):
        while arrivals[window] < arrived - 1.0:
            window += 1
        assert position - window + 1 <= rate * 1.1, f"{position - window + 1} in a second"
