"""Where `netkit bench tcp|udp` sends its load: HOST PORT, or HOST:PORT and [V6]:PORT as one
argument, as connect takes them."""

import json
import subprocess

import pytest

from tests.support import netkit_executable, netkit_process

READY = r"listening on tcp \S+:(\d+)"


@pytest.mark.parametrize("form", ["joined", "apart"])
def test_host_colon_port_as_one_argument(form: str) -> None:
    with netkit_process("listen", "tcp", "--port", "0", "-q", ready=READY) as server:
        port = server.wait_for_stderr(READY).group(1)
        where = [f"127.0.0.1:{port}"] if form == "joined" else ["127.0.0.1", port]
        result = subprocess.run(
            [netkit_executable(), "bench", "tcp", *where, "-c", "1", "-d", "0.2", "--json"],
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["target"] == f"127.0.0.1:{port}"


def test_a_missing_port_says_how_to_write_it() -> None:
    result = subprocess.run([netkit_executable(), "bench", "udp", "127.0.0.1"],
                            capture_output=True, timeout=30, check=False)  # fmt: skip
    assert result.returncode == 2
    assert b"HOST PORT, HOST:PORT or [V6]:PORT" in result.stderr
