"""The kqueue design (netkit/listen/mux/kqueue.py): BSD and macOS only; elsewhere, asking for
it is an error that names what is available, and its poller still runs over a stand-in. The
load and fault checks (skipped without kqueue) are in test_mux.py."""

import select
import socket
import threading

import pytest

from tests.listen.clients import echo_many, payload
from tests.support import run_netkit

MUX = "kqueue"


@pytest.mark.skipif(hasattr(select, "kqueue"), reason="kqueue exists here")
def test_unavailable_names_the_available_ones() -> None:
    result = run_netkit("listen", "tcp", "--port", "0", "--mux", MUX)
    assert result.returncode == 2
    assert "kqueue is not available on this system (available: blocking, thread" in result.stderr


class _FakeKevent:
    def __init__(self, ident: int, filter: int = -1, flags: int = 0) -> None:
        self.ident, self.filter, self.flags = ident, filter, flags


class _FakeKqueue:
    """kqueue semantics (one filter per direction, changes applied in control) over poll(2)."""

    def __init__(self) -> None:
        self.filters: dict[int, set[int]] = {}

    def control(
        self, changes: list[_FakeKevent] | None, max_events: int, timeout: float | None = None
    ) -> list[_FakeKevent]:
        for change in changes or ():
            active = self.filters.setdefault(change.ident, set())
            if change.flags & _FakeSelect.KQ_EV_ADD:
                active.add(change.filter)
            elif change.filter not in active:
                raise FileNotFoundError(2, "No such file or directory")
            else:
                active.discard(change.filter)
        if not max_events:
            return []
        poller = select.poll()
        for fd, active in self.filters.items():
            mask = (select.POLLIN if -1 in active else 0) | (select.POLLOUT if -2 in active else 0)
            if mask:
                poller.register(fd, mask)
        events = []
        for fd, mask in poller.poll(None if timeout is None else timeout * 1000):
            eof = _FakeSelect.KQ_EV_EOF if mask & (select.POLLHUP | select.POLLERR) else 0
            if mask & (select.POLLIN | select.POLLHUP | select.POLLERR) and -1 in self.filters[fd]:
                events.append(_FakeKevent(fd, -1, eof))
            if mask & select.POLLOUT:
                events.append(_FakeKevent(fd, -2, eof))
        return events[:max_events]

    def close(self) -> None:
        self.filters.clear()


class _FakeSelect:
    KQ_FILTER_READ, KQ_FILTER_WRITE = -1, -2
    KQ_EV_ADD, KQ_EV_DELETE, KQ_EV_EOF, KQ_EV_ERROR = 0x1, 0x2, 0x8000, 0x4000
    kqueue = _FakeKqueue
    kevent = _FakeKevent


class _InProcess:
    def __init__(self, port: int) -> None:
        self.port = port

    def connect(self, timeout: float = 10) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)


def test_kqueue_loop_over_a_fake_kqueue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where kqueue does not exist, its back end still runs: over a poll-backed stand-in that
    keeps kqueue's rules (per-direction filters, DELETE of a missing filter fails)."""
    from netkit.listen.config import ListenConfig
    from netkit.listen.engine import Engine
    from netkit.listen.events import Observer
    from netkit.listen.mux import kqueue as kqueue_module
    from netkit.listen.mux.loop import EventLoop
    from netkit.listen.transport import open_socket

    monkeypatch.setattr(kqueue_module, "select", _FakeSelect)
    config = ListenConfig("tcp", mux="kqueue", port=0, output_limit=64 * 1024)
    engine = Engine(config, Observer(), "kqueue")
    engine.bound = open_socket(config)
    loop = EventLoop(engine, kqueue_module.KqueuePoller())
    server = threading.Thread(target=loop.serve, daemon=True)
    server.start()
    target = _InProcess(int(engine.bound.address.rsplit(":", 1)[1]))
    try:
        sent = [payload(size, seed=size % 7) for size in (1, 70000, 3 << 20)] + [
            payload(3000, seed=i) for i in range(50)
        ]
        assert echo_many(target, sent) == sent
    finally:
        engine.running = False
        target.connect().close()  # wake the loop so it sees the flag
        server.join(5)
        loop.close_all()
        engine.bound.close()
    assert not server.is_alive()
