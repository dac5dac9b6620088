"""ss's habits in `netkit conns`: -tlnp and -tulpn, ss's state names, service names as ports,
and lists given with commas or by repeating the option."""

import json
import socket
from collections.abc import Iterator

import pytest

from tests.support import run_netkit

# Services from /etc/services on ports above 1023 (so no root is needed to bind them).
_SERVICES = ("x11", "postgresql", "mysql", "ircd", "svn", "http-alt", "webcache")


@pytest.fixture
def named_listener() -> Iterator[tuple[str, int]]:
    """A TCP listener on 127.0.0.1 on the port of some service name, and that name."""
    for name in _SERVICES:
        try:
            port = socket.getservbyname(name, "tcp")
        except OSError:
            continue
        server = socket.socket()
        try:
            server.bind(("127.0.0.1", port))
        except OSError:
            server.close()
            continue
        server.listen()
        with server:
            yield name, port
        return
    pytest.skip("no service port above 1023 is free and named in /etc/services")


def conns_json(*args: str) -> list[dict[str, object]]:
    result = run_netkit("conns", "--json", *args)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


@pytest.mark.parametrize("letters", ["-tlnp", "-tulpn", "-tlpn", "-ltn", "-tan"])
def test_ss_letters_run(named_listener: tuple[str, int], letters: str) -> None:
    _, port = named_listener
    result = run_netkit("conns", letters, "--json")
    assert result.returncode == 0, result.stderr
    assert any(row["local_port"] == port for row in json.loads(result.stdout))


def test_help_says_n_and_p_change_nothing() -> None:
    text = " ".join(run_netkit("conns", "--help").stdout.split())
    assert "numbers are always shown" in text
    assert "processes are always shown" in text


def test_a_service_name_is_a_port(named_listener: tuple[str, int]) -> None:
    name, port = named_listener
    by_name = conns_json("-tl", "--port", name)
    assert [row["local_port"] for row in by_name] == [port]
    assert conns_json("-tl", "--sport", name.upper()) == by_name


@pytest.mark.parametrize(
    "spelling", ["listening", "LISTEN", "listen", "Listening", "time-wait,listening"]
)
def test_ss_state_names(named_listener: tuple[str, int], spelling: str) -> None:
    _, port = named_listener
    rows = conns_json("--state", spelling, "--port", str(port))
    assert [row["state"] for row in rows] == ["LISTEN"]


@pytest.mark.parametrize("spelling", ["estab", "time-wait", "TIME_WAIT", "fin-wait-1", "syn-sent",
                                      "close-wait", "closed", "connected", "bucket"])  # fmt: skip
def test_other_ss_state_names_are_accepted_and_exclude_a_listener(
    named_listener: tuple[str, int], spelling: str
) -> None:
    _, port = named_listener
    assert conns_json("--state", spelling, "--port", str(port)) == []


def test_an_unknown_state_lists_the_names() -> None:
    result = run_netkit("conns", "--state", "sleeping")
    assert result.returncode == 2
    assert "time-wait" in result.stderr
    assert "established" in result.stderr


def test_lists_by_comma_and_by_repeating_agree(named_listener: tuple[str, int]) -> None:
    _, port = named_listener
    comma = conns_json("--port", f"{port},1", "--state", "listening,estab")
    repeated = conns_json("--port", str(port), "--port", "1", "--state", "listening",
                          "--state", "estab")  # fmt: skip
    assert comma == repeated
    assert [row["local_port"] for row in comma] == [port]


@pytest.mark.parametrize(
    ("args", "refused"),
    [
        (["-s", "-t"], "-s and -t"),
        (["-s", "--port", "ssh"], "-s and --port"),
        (["-s", "--watch"], "-s and --watch"),
        (["--watch", "--count", "1", "-u"], "--watch and -u"),
        (["--watch", "--count", "1", "-x"], "--watch and -x"),
        (["--watch", "--count", "1", "-l"], "--watch and -l"),
        (["--watch", "--count", "1", "-e"], "--watch and -e"),
    ],
)
def test_summary_and_watch_refuse_the_options_they_would_ignore(
    args: list[str], refused: str
) -> None:
    result = run_netkit("conns", *args, timeout=10)
    assert (result.returncode, result.stdout) == (2, "")
    assert f"{refused} exclude each other" in result.stderr


def test_summary_and_watch_still_take_what_they_use() -> None:
    assert run_netkit("conns", "-s", "-n", "--json").returncode == 0
    watched = run_netkit("conns", "--watch", "-tn", "--count", "1", "--interval", "0.1",
                         "--port", "1", "--json")  # fmt: skip
    assert watched.returncode == 0, watched.stderr
