"""`listen --json` is JSON Lines from its first line, every event with the same core fields;
`--stats` without a terminal prints plain lines; `listen udp -v` logs each new peer."""

import json
import socket

import pytest

from tests.support import netkit_process

CORE = {"event", "time"}


def _json_lines(lines: list[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in lines]  # every line, from the first


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_the_log_is_json_from_its_first_line(transport: str) -> None:
    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
    with netkit_process("listen", transport, "--port", "0", "--json", "-v",
                        ready='"event": "listening"') as server:  # fmt: skip
        ready = json.loads(server.stderr_lines[0])
        assert ready["event"] == "listening" and ready["host"] == "127.0.0.1"
        port = ready["port"]
        assert isinstance(port, int) and port > 0
        assert ready["address"] == f"127.0.0.1:{port}"
        with socket.socket(socket.AF_INET, kind) as client:
            client.settimeout(5)
            client.connect(("127.0.0.1", port))
            client.send(b"ping")
            assert client.recv(16) == b"ping"
        if transport == "tcp":
            server.wait_for_stderr('"event": "close"')
        else:
            server.wait_for_stderr('"event": "peer"')
        assert server.stop() == 0
        events = _json_lines(server.stderr_lines)
    names = [event["event"] for event in events]
    expected = ["listening", "open", "close", "summary"]
    assert names == (expected if transport == "tcp" else ["listening", "peer", "summary"])
    for event in events:
        assert event.keys() >= CORE, event
        assert isinstance(event["time"], float)


def test_a_unix_listener_names_its_path() -> None:
    path = f"@netkit-json-{socket.gethostname()}-test"
    with netkit_process("listen", "unix", "--path", path, "--json",
                        ready='"event": "listening"') as server:  # fmt: skip
        ready = json.loads(server.stderr_lines[0])
    assert (ready["path"], ready["port"], ready["host"]) == (path, None, None)


def test_udp_verbose_logs_each_new_peer_once() -> None:
    with netkit_process("listen", "udp", "--port", "0", "-v",
                        ready=r"listening on udp \S+:(\d+)") as server:  # fmt: skip
        port = int(server.wait_for_stderr(r"listening on udp \S+:(\d+)").group(1))
        peers = []
        for _ in range(2):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.settimeout(5)
                client.bind(("127.0.0.1", 0))
                peers.append(f"127.0.0.1:{client.getsockname()[1]}")
                for _ in range(3):  # several datagrams, one log line
                    client.sendto(b"x", ("127.0.0.1", port))
                    client.recv(16)
        server.wait_for_stderr(f"datagrams from {peers[1]}")
        logged = [line for line in server.stderr_lines if line.startswith("datagrams from")]
    assert logged == [f"datagrams from {peer}" for peer in peers]


@pytest.mark.parametrize("as_json", [False, True])
def test_stats_without_a_terminal_prints_lines(as_json: bool) -> None:
    args = ["listen", "tcp", "--port", "0", "--stats", *(["--json"] if as_json else [])]
    with netkit_process(*args, ready="listening") as server:
        if as_json:
            line = server.wait_for_stderr(r'^\{"event": "stats", .*\}$').group(0)
            stats = json.loads(line)
            assert {"connections_now", "rate_in_bps", "time"} <= stats.keys()
        else:
            server.wait_for_stderr(r"^stats: uptime \S+ s, connections now 0, ")


def test_a_failure_to_bind_is_a_json_line_too() -> None:
    from tests.support import run_netkit

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = run_netkit("listen", "tcp", "--port", str(port), "--json")
    assert done.returncode == 1
    [error] = _json_lines(done.stderr.splitlines())
    assert error["event"] == "error" and set(error) >= CORE
    assert error["message"] == f"tcp port {port} is already in use on 127.0.0.1"
