"""`netkit resolve` as a dig user types it: list options, service ports, modes mixed."""

import json
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.resolve.nsd import Nsd, running_nsd
from tests.resolve.zones import ZONES
from tests.support import (
    interrupt,
    popen_netkit,
    require_tool,
    run_netkit,
    signals_blocked_by_other_threads,
)


@pytest.fixture(scope="module")
def nsd_identity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nsd]:
    """NSD with an identity (id.server CH TXT) and an NSID."""
    directory = tmp_path_factory.mktemp("nsd-identity")
    options = '  identity: "ns-one"\n  nsid: "ascii_ns-one"\n'
    with running_nsd(require_tool("nsd"), directory, ZONES, server_options=options) as server:
        yield server


def test_servers_take_a_comma_list(nsd: Nsd) -> None:
    done = run_netkit(
        "resolve", "-s", "127.0.0.1,127.0.0.1", "-p", str(nsd.port), "www.example.test",
        "--compare", "--jsonl",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    servers = json.loads(done.stdout)["servers"]
    assert [answer["server"] for answer in servers] == [f"127.0.0.1#{nsd.port}"] * 2


def test_port_takes_a_service_name() -> None:
    # domain is port 53: whether anything answers there or not, the result names the port.
    done = run_netkit("resolve", "@127.0.0.1", "-p", "domain", "x.test", "--timeout", "0.3",
                      "--retries", "0", "--json")  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)[0]["port"] == 53
    refused = run_netkit("resolve", "@127.0.0.1", "-p", "nosuchservice", "x.test")
    assert refused.returncode == 2
    assert "not a port number or a service name" in refused.stderr


def test_compare_asks_in_the_class_given(nsd_identity: Nsd) -> None:
    server = f"127.0.0.1#{nsd_identity.port}"
    done = run_netkit("resolve", "--compare", "-s", f"{server},{server}", "-c", "CH",
                      "id.server", "-t", "TXT", "--jsonl")  # fmt: skip
    assert done.returncode == 0, done.stderr
    comparison = json.loads(done.stdout)
    assert comparison["rdclass"] == "CH"
    assert [answer["answers"][0]["data"] for answer in comparison["servers"]] == ['"ns-one"'] * 2


def test_compare_shows_what_nsid_brings_back(nsd_identity: Nsd) -> None:
    server = f"127.0.0.1#{nsd_identity.port}"
    args = ("resolve", "--compare", "-s", f"{server},{server}", "--nsid", "host.example.test")
    table = run_netkit(*args)
    assert table.returncode == 0, table.stderr
    assert table.stdout.count('[NSID: 6e 73 2d 6f 6e 65 ("ns-one")]') == 2
    lines = run_netkit(*args, "--jsonl")
    for answer in json.loads(lines.stdout)["servers"]:
        assert answer["edns_options"][0]["decoded"] == {"text": "ns-one"}


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--nsid"], "--nsid is for queries, not zone transfers"),
        (["--dnssec"], "--dnssec is for queries, not zone transfers"),
        (["--no-recurse"], "--no-recurse is for queries, not zone transfers"),
        (["--rate", "5"], "--rate is for queries, not zone transfers"),
        (["-s", "127.0.0.2"], "a zone transfer asks one server, not 2"),
        (["--explain"], "--explain narrates queries, not zone transfers"),
        (["www.example.test"], "a zone transfer is one zone and one type"),
    ],
)
def test_a_transfer_refuses_what_it_would_ignore(nsd: Nsd, option: list[str], message: str) -> None:
    done = run_netkit("resolve", "@127.0.0.1", "-p", str(nsd.port), "example.test", "AXFR",
                      *option)  # fmt: skip
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    assert message in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_dig_option_with_a_value_names_the_netkit_option() -> None:
    done = run_netkit("resolve", "@127.0.0.1", "+subnet=192.0.2.0/24", "x.test")
    assert done.returncode == 2
    assert "use --subnet ADDR[/LEN]" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trace", "-c", "CH", "x.test"], "-c CH does not go with --trace"),
        (["--trace", "--nsid", "x.test"], "--nsid does not go with --trace"),
        (["--diagnose", "x.test", "CH"], "-c CH does not go with --diagnose"),
    ],
)
def test_mode_refusals_name_the_option_as_written(args: list[str], message: str) -> None:
    done = run_netkit("resolve", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_ctrl_c_stops_compare_at_once_while_a_server_is_silent() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        server = f"127.0.0.1#{silent.getsockname()[1]}"
        with popen_netkit(
            "resolve", "--compare", "-s", f"{server},{server}", "--timeout", "30", "a.test",
            "b.test", "--json", stdin=subprocess.DEVNULL,
        ) as process:  # fmt: skip
            silent.settimeout(10)
            for _ in range(4):  # both questions from both engines: they wait on their timeouts
                silent.recvfrom(512)
            # The engines' threads leave Ctrl-C to the main thread, which waits for them.
            engines = signals_blocked_by_other_threads(process.pid)
            out, err = interrupt(process)  # not the 30 s of the timeout
    assert len(engines) == 2 and all({signal.SIGINT, signal.SIGTERM} <= mask for mask in engines)
    assert process.returncode == 130
    assert json.loads(out) == []
    assert err.decode().splitlines()[-1].endswith(", interrupted")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--modern", "--timeout", "5", "localhost"], "--timeout is for DNS queries, not --modern"),
        (["--retries", "2", "localhost"], "--retries is for DNS queries, not --legacy"),
    ],
)
def test_the_system_resolver_refuses_netkit_query_pacing(args: list[str], message: str) -> None:
    done = run_netkit("resolve", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "RES_OPTIONS" in done.stderr


def test_a_transfer_refuses_retries(nsd: Nsd) -> None:
    done = run_netkit("resolve", f"@127.0.0.1#{nsd.port}", "example.test", "AXFR", "--retries", "1")
    assert done.returncode == 2
    assert "--retries is for queries: a zone transfer is asked once" in done.stderr


def test_a_names_file_that_is_not_utf8_fails_its_line_alone(nsd: Nsd, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_bytes(b"host.example.test\n\xff\xfe.test\nhost.example.test\n")
    done = run_netkit("resolve", f"@127.0.0.1#{nsd.port}", "-f", str(names), "--jsonl")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr
    errors = [json.loads(line)["error"] for line in done.stdout.splitlines()]
    assert errors[0] is None and errors[2] is None
    assert "not a valid internationalized name" in errors[1]


def test_compare_shows_an_idn_in_both_forms(nsd: Nsd) -> None:
    server = f"127.0.0.1#{nsd.port}"
    done = run_netkit("resolve", "--compare", "-s", f"{server},{server}", "bücher.example.test")
    assert "bücher.example.test. (xn--bcher-kva.example.test.)" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["@127.0.0.1", "--concurrency", "8", "www.example.test"],
        ["@127.0.0.1", "-q", "www.example.test"],
        ["--trace", "-q", "www.example.test"],
        ["--modern", "--concurrency", "8", "localhost"],
        ["-q", "localhost"],
    ],
)
def test_batch_options_are_refused_for_a_lone_lookup(args: list[str]) -> None:
    # They shape a batch (how many at once, its progress and summary): one name has neither.
    # (Refused before anything is asked: the server named is never reached.)
    done = run_netkit("resolve", *args)
    assert done.returncode == 2
    assert "is for a batch (several names, or -f FILE)" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--concurrency", "8", "-t", "A", "-t", "AAAA", "www.example.test"],  # two queries
        ["-q", "www.example.test", "host.example.test"],
        ["-q", "example.test", "AXFR"],  # -q silences a transfer's summary
    ],
)
def test_batch_options_are_taken_where_they_act(nsd: Nsd, args: list[str]) -> None:
    done = run_netkit("resolve", "@127.0.0.1", "-p", str(nsd.port), "--short", *args)
    assert done.returncode in (0, 1), done.stderr  # NODATA for AAAA exits 1
    assert "is for a batch" not in done.stderr


def test_a_transfer_in_a_batch_line_is_refused_for_that_line(nsd: Nsd, tmp_path: Path) -> None:
    # dig -f reads "example.test AXFR" as a transfer; a batch asks queries over UDP, where a
    # server would refuse it or answer NOTIMP: that line says why, the others are answered.
    names = tmp_path / "names.txt"
    names.write_text("www.example.test\nexample.test AXFR\nhost.example.test A\n")
    done = run_netkit("resolve", "@127.0.0.1", "-p", str(nsd.port), "-f", str(names), "--jsonl")
    assert done.returncode == 1
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["name"], r["type"]) for r in results] == [
        ("www.example.test", "A"), ("example.test", "AXFR"), ("host.example.test", "A"),
    ]  # fmt: skip
    assert results[0]["error"] is None and results[2]["error"] is None
    assert results[1]["rcode"] is None
    assert "AXFR is a zone transfer, not a query" in results[1]["error"]
