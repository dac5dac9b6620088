"""The EXIT STATUS of each page says what the command really does (issue #21: the page said an
invalid name exits 2, the command exits 1). Each case runs the command and finds its status,
and words that describe the case, in the page the user would read."""

import re
import socket

import pytest

from netkit.docs.pages import Definition, body_sections, page_for
from tests.support import run_netkit


def closed_port() -> str:
    """A loopback port nobody listens on: bound once, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


CASES = [
    (("conv", "ip", "01.2.3.4"), 1, "invalid"),
    (("conv", "ip"), 2, "no values"),
    (("resolve", "a..b"), 1, "invalid name"),
    (("resolve", "--dns", "-t", "BOGUS", "x.test"), 2, "record type"),
    (("resolve", "--modern", "-t", "MX", "x.test"), 2, "another mode"),
    (("listen", "udp", "--mux", "thread"), 2, "--mux thread"),
    (("listen", "tcp", "--host", "203.0.113.77"), 1, "address no interface has"),
    (("connect", "tcp", "127.0.0.1", "CLOSED"), 1, "refused"),
    (("bench", "tcp", "127.0.0.1", "CLOSED", "-d", "0.2"), 1, "could not be reached"),
    (("ipc", "fdpass", "-f", "/nonexistent/file"), 2, "does not exist"),
    (("ifaces", "--count", "2"), 2, "--count"),
    (("ifaces", "no-such-interface0"), 1, "does not exist"),
    (("conns", "--state", "bogus"), 2, "invalid argument"),
    (("completion", "tcsh"), 2, "invalid argument"),
]


def _status_text(command: str, status: int) -> str:
    (section,) = [s for s in body_sections(page_for(command)) if s.heading == "EXIT STATUS"]
    for block in section.blocks:
        assert isinstance(block, Definition)
        if block.term.strip("*") == str(status):
            return " ".join(block.text.split()).replace("*", "")
    raise AssertionError(f"netkit-{command}(1) documents no exit status {status}")


@pytest.mark.parametrize(("args", "status", "words"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_the_page_documents_what_the_command_does(
    args: tuple[str, ...], status: int, words: str
) -> None:
    port = closed_port()
    result = run_netkit(*(port if a == "CLOSED" else a for a in args), input="")
    assert result.returncode == status, result.stderr
    text = _status_text(args[0], status)
    assert re.search(re.escape(words), text, re.IGNORECASE), f"{status}: {text}"
