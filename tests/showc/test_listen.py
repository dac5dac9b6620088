"""The generated echo servers, every transport and design: netkit bench verifies their echoes
over several connections, netkit connect checks a half-closed connection gets everything back,
and SIGTERM stops them cleanly. kqueue is compiled and run where it exists; elsewhere it is
checked against a stand-in <sys/event.h> (syntax and types only)."""

import json
import os
import re
import select
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netkit.showc.listen import DESIGNS, ListenSpec, listen_program
from tests.showc.conftest import CFLAGS, Compile
from tests.support import RunningProcess, netkit_executable, require_tool, run_netkit

READY = r"listening on (tcp|udp|unix) (\S+) \((\w+)\)"
BIG = bytes(range(256)) * 8192  # 2 MiB: more than the socket buffers hold
HERE = [d for d in DESIGNS if d != "kqueue" or hasattr(select, "kqueue")]
if "epoll" in HERE and not hasattr(select, "epoll"):
    HERE.remove("epoll")
VARIANTS = [(t, d) for t in ("tcp", "udp", "unix") for d in HERE if (t, d) != ("udp", "thread")]


@pytest.fixture(scope="module")
def socket_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sockets")


def _spec(transport: str, design: str, socket_dir: Path) -> ListenSpec:
    path = str(socket_dir / f"{design}.sock")
    return ListenSpec(transport, design, port=0, path=path)  # type: ignore[arg-type]


@pytest.fixture
def server(
    request: pytest.FixtureRequest, compile_c: Compile, socket_dir: Path
) -> Iterator[tuple[ListenSpec, str]]:
    """The generated server of the test's variant, running; yields its spec and address."""
    transport, design = request.param
    spec = _spec(transport, design, socket_dir)
    flags = ["-pthread"] if design == "thread" else []
    process = RunningProcess([str(compile_c(listen_program(spec), *flags))])
    try:
        match = process.wait_for_stderr(READY, timeout=10)
        assert (match.group(1), match.group(3)) == (transport, design)
        yield spec, match.group(2)
    finally:
        status = process.stop(signal.SIGTERM)
        if process.proc.stderr is not None:  # stop() leaves it to the reader thread, now done
            process.proc.stderr.close()
    assert status == 0, process.stderr_lines  # SIGTERM is a clean stop
    if transport == "unix":
        assert not os.path.exists(spec.path)  # the socket file went with the server


def _bench(transport: str, address: str, *load: str) -> dict[str, Any]:
    target = [address] if transport == "unix" else address.rsplit(":", 1)
    result = run_netkit("bench", transport, *target, "-d", "0.4", "--json", *load, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize("server", VARIANTS, indirect=True, ids=[f"{t}-{d}" for t, d in VARIANTS])
def test_bench_verifies_every_echo(server: tuple[ListenSpec, str]) -> None:
    spec, address = server
    if spec.transport == "udp":
        load = ["-c", "4", "-s", "1400"]
    else:
        # The blocking design serves one client at a time: one connection. 300 KiB messages
        # are more than the kernel takes at once and more than the output limit of the event
        # loops, so partial writes, queueing and the pause in reading all happen.
        load = ["-c", "1" if spec.mux == "blocking" else "6", "-s", "300K"]
    report = _bench(spec.transport, address, *load)
    assert report["requests"] > 0
    assert report["errors"] == 0 and report["mismatches"] == 0
    if spec.transport != "udp":
        assert report["alive"] == int(load[1])


def _connect(spec: ListenSpec, address: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    target = [address] if spec.transport == "unix" else address.rsplit(":", 1)
    extra = ["--timeout", "1"] if spec.transport == "udp" else []
    return subprocess.run(
        [netkit_executable(), "connect", spec.transport, *target, *extra],
        input=data,
        capture_output=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("server", VARIANTS, indirect=True, ids=[f"{t}-{d}" for t, d in VARIANTS])
def test_netkit_connect_half_close(server: tuple[ListenSpec, str]) -> None:
    """netkit connect sends FIN after the data; the server still echoes everything, then closes
    (netkit connect exits only when the server has closed). UDP: a datagram back."""
    spec, address = server
    data = bytes(range(256)) if spec.transport == "udp" else BIG
    result = _connect(spec, address, data)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


def test_udp_has_no_thread_design() -> None:
    from netkit.errors import NetkitUsageError

    with pytest.raises(NetkitUsageError):
        listen_program(ListenSpec("udp", "thread"))


# A stand-in for <sys/event.h> with the BSD declarations the kqueue design uses, so that on
# Linux the compiler still checks its syntax and types.
_EVENT_H = """
#include <stdint.h>
#include <time.h>
struct kevent { uintptr_t ident; short filter; unsigned short flags; unsigned int fflags;
                intptr_t data; void *udata; };
#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_ERROR 0x4000
#define EV_EOF 0x8000
#define EV_SET(kevp, a, b, c, d, e, f) do { struct kevent *ev_ = (kevp); \\
  ev_->ident = (a); ev_->filter = (b); ev_->flags = (c); ev_->fflags = (d); \\
  ev_->data = (e); ev_->udata = (f); } while (0)
int kqueue(void);
int kevent(int kq, const struct kevent *changes, int nchanges, struct kevent *events,
           int nevents, const struct timespec *timeout);
"""


@pytest.mark.skipif(hasattr(select, "kqueue"), reason="kqueue is compiled and run here")
@pytest.mark.parametrize("transport", ["tcp", "udp", "unix"])
def test_kqueue_design_compiles_against_bsd_declarations(
    transport: str, tmp_path: Path, socket_dir: Path
) -> None:
    cc = require_tool("cc")
    (tmp_path / "sys").mkdir()
    (tmp_path / "sys" / "event.h").write_text(_EVENT_H)
    source = tmp_path / "kqueue.c"
    program = listen_program(_spec(transport, "kqueue", socket_dir))
    # Without the guard that stops the build where kqueue is missing (it would here).
    guard = re.search(r"#if !defined\(__APPLE__\).*?#endif\n", program, re.DOTALL)
    assert guard is not None
    source.write_text(program.replace(guard.group(0), ""))
    argv = [cc, *CFLAGS, "-fsyntax-only", "-I", str(tmp_path), str(source)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
