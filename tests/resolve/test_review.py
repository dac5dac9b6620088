"""`netkit resolve` as a dig user types it: list options, service ports, modes mixed."""

import json

from tests.resolve.nsd import Nsd
from tests.support import run_netkit


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
