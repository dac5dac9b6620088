"""`listen --tls` over Unix sockets, and `--exec`/`--sh-exec` under `--tls`: netkit makes the
handshake and relays plaintext to the program, EOF carried both ways; openssl s_client and
ncat --ssl as the clients, and netkit connect tls for the half-close."""

import os
import re
import tempfile
from collections.abc import Iterator

import pytest

from tests.connect.test_connect import connect
from tests.listen.clients import Listener, feed_and_read
from tests.support import require_tool

PAYLOAD = os.urandom(256 * 1024)


def _port(listener: Listener) -> str:
    return listener.address.rsplit(":", 1)[1]


@pytest.fixture
def socket_path() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield os.path.join(folder, "tls.sock")


def _s_client_unix(path: str) -> list[str]:
    openssl = require_tool("openssl")
    return [openssl, "s_client", "-quiet", "-no_ign_eof", "-nocommands", "-unix", path]


def test_tls_over_a_unix_socket_echoes_every_byte(
    listener_factory: object, socket_path: str
) -> None:
    argv = _s_client_unix(socket_path)
    listener_factory("unix", "--path", socket_path, "--tls")  # type: ignore[operator]
    assert feed_and_read(argv, PAYLOAD) == PAYLOAD


def test_exec_over_tls_on_a_unix_socket(listener_factory: object, socket_path: str) -> None:
    argv = _s_client_unix(socket_path)
    listener_factory("unix", "--path", socket_path, "--tls", "--exec", "cat")  # type: ignore[operator]
    assert feed_and_read(argv, PAYLOAD) == PAYLOAD


def test_exec_over_tls_with_openssl_s_client(listener_factory: object) -> None:
    openssl = require_tool("openssl")
    listener = listener_factory("tcp", "--port", "0", "--tls", "--exec", "cat")  # type: ignore[operator]
    argv = [openssl, "s_client", "-quiet", "-no_ign_eof", "-nocommands",
            "-connect", f"127.0.0.1:{_port(listener)}"]  # fmt: skip
    assert feed_and_read(argv, PAYLOAD) == PAYLOAD


def test_sh_exec_over_tls_with_ncat(listener_factory: object) -> None:
    ncat = require_tool("ncat")
    # A line-by-line answer: tr or cat into a pipe would hold their output until EOF, and
    # ncat --ssl ends the whole session at the end of its input (no TLS half-close).
    program = 'while IFS= read -r line; do printf "%s!\\n" "$line"; done'
    listener = listener_factory("tcp", "--port", "0", "--tls", "--sh-exec", program)  # type: ignore[operator]
    payload = b"hello over tls\n" * 200
    answer = b"hello over tls!\n" * 200
    received = feed_and_read([ncat, "--ssl", "127.0.0.1", _port(listener)], payload, len(answer))
    assert received == answer


def test_the_programs_answer_after_the_clients_close_notify_arrives(
    listener_factory: object,
) -> None:
    """netkit connect tls half-closes with close_notify and keeps reading, so a program that
    answers only at EOF (wc -c, then more) is heard in full, and the log has the byte counts."""
    program = "wc -c; head -c 100000 /dev/zero"
    listener = listener_factory("tcp", "--port", "0", "--tls", "-v", "--sh-exec", program)  # type: ignore[operator]
    assert isinstance(listener, Listener)
    result = connect("tls", "127.0.0.1", _port(listener), "--insecure", data=b"x" * 54321)
    assert result.returncode == 0, result.stderr
    count, _, rest = result.stdout.partition(b"\n")
    assert int(count) == 54321
    assert rest == bytes(100000)
    # The session with bytes in it (a readiness probe may have opened and closed one before).
    line = listener.process.wait_for_stderr(r"closed \S+ \(exit status 0\): ([1-9][\d.]* KiB in.*)")
    assert re.match(r"53\.0 KiB in, 97\.\d KiB out", line.group(1)), line.group(1)


def test_a_failed_handshake_is_logged_and_no_program_runs(listener_factory: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        marker = os.path.join(folder, "ran")
        listener = listener_factory("tcp", "--port", "0", "--tls", "-v",  # type: ignore[operator]
                                    "--sh-exec", f"touch {marker}")  # fmt: skip
        assert isinstance(listener, Listener)
        connect("127.0.0.1", _port(listener), data=b"not tls\r\n\r\n")  # reset or closed
        listener.process.wait_for_stderr(r"closed \S+ \(tls handshake failed")
        assert not os.path.exists(marker)
