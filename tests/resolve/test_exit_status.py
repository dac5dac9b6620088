"""One exit-status rule for every mode and form: 0 when every lookup was answered, 1 when any
was not (NODATA and NXDOMAIN included, with --short too, where dig +short exits 0), 130 when
interrupted, with what was printed kept."""

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.resolve.fake_servers import answer, fake_server
from tests.support import interrupt, popen_netkit, run_netkit

FAST_RESOLVER = {"RES_OPTIONS": "timeout:1 attempts:1"}


@pytest.mark.parametrize("form", [[], ["--short"], ["--json"], ["--jsonl"]])
def test_nodata_exits_1_in_every_form(at_nsd: list[str], form: list[str]) -> None:
    # example.test has no A record at its apex: NOERROR with no answer (NODATA).
    done = run_netkit("resolve", *at_nsd, "example.test", *form)
    assert done.returncode == 1
    assert "example.test.: no A records (NODATA)" in done.stderr or form in (
        ["--json"],
        ["--jsonl"],
    )
    if form == ["--short"]:
        assert done.stdout == ""  # as dig +short: nothing on stdout; the reason on stderr
        assert done.stderr.startswith("netkit: error: example.test.: no A records (NODATA)")


@pytest.mark.parametrize("form", [["--short"], ["--jsonl"]])
def test_a_batch_with_one_nodata_exits_1(at_nsd: list[str], form: list[str]) -> None:
    done = run_netkit("resolve", *at_nsd, "host.example.test", "example.test", *form)
    assert done.returncode == 1
    assert "192.0.2.10" in done.stdout  # the answered name is printed all the same
    everything = run_netkit("resolve", *at_nsd, "host.example.test", "mail.example.test", *form)
    assert everything.returncode == 0


@pytest.mark.parametrize("mode", [[], ["--modern"]])
def test_the_system_resolver_follows_the_same_rule(mode: list[str]) -> None:
    single = run_netkit("resolve", *mode, "nosuch.invalid", "--short", env=FAST_RESOLVER)
    assert (single.returncode, single.stdout) == (1, "")
    assert single.stderr.startswith("netkit: error: nosuch.invalid: ")
    batch = run_netkit(
        "resolve", *mode, "localhost", "nosuch.invalid", "--short", env=FAST_RESOLVER
    )
    assert batch.returncode == 1
    assert "127.0.0.1" in batch.stdout.split()
    answered = run_netkit("resolve", *mode, "localhost", "--short")
    assert answered.returncode == 0


class FastNamesOnly:
    """A server's behaviour: answer names that start with 'fast', say nothing to the others;
    it records when a silent one has been asked."""

    def __init__(self) -> None:
        self.silent_asked = threading.Event()

    def __call__(self, query_wire: bytes) -> list[bytes]:
        if b"fast" in query_wire[12:].lower():
            return [answer(query_wire).to_wire()]
        self.silent_asked.set()
        return []


def _interrupt(argv: list[str], server: FastNamesOnly) -> tuple[int, str, str]:
    """Run netkit, wait (bounded) until it waits on the silent server, Ctrl-C it."""
    with popen_netkit(*argv, stdin=subprocess.DEVNULL) as process:
        assert server.silent_asked.wait(10)
        time.sleep(0.3)  # the answers to the others are in
        out, err = interrupt(process)
    return process.returncode, out.decode(), err.decode()


def test_ctrl_c_in_a_batch_keeps_the_rows_printed_and_exits_130(tmp_path: Path) -> None:
    # fast3 is answered too, but its row waits behind slow's: rows come out in input order.
    names = tmp_path / "names"
    names.write_text("fast1.test\nfast2.test\nslow.test\nfast3.test\n")
    server = FastNamesOnly()
    with fake_server(server) as port:
        status, out, err = _interrupt(
            ["resolve", f"@127.0.0.1#{port}", "--timeout", "30", "-f", str(names), "--jsonl"],
            server,
        )
    assert status == 130
    assert [json.loads(line)["name"] for line in out.splitlines()] == ["fast1.test", "fast2.test"]
    assert err.splitlines()[-1].endswith(", interrupted")
    assert "Traceback" not in err


def test_ctrl_c_in_a_single_query_exits_130() -> None:
    server = FastNamesOnly()
    with fake_server(server) as port:
        status, out, err = _interrupt(
            ["resolve", f"@127.0.0.1#{port}", "--timeout", "30", "slow.test"], server
        )
    assert status == 130
    assert out == ""
    assert "Traceback" not in err
