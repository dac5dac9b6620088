"""The kqueue back end (netkit/listen/mux/kqueue.py): BSD and macOS only; elsewhere, asking for
it is an error that names what is available."""

import select

import pytest

from tests.listen import checks
from tests.listen.checks import Start
from tests.support import run_netkit

MUX = "kqueue"
needs_kqueue = pytest.mark.skipif(not hasattr(select, "kqueue"), reason="no kqueue here")


@needs_kqueue
def test_every_size_in_order(listener_factory: Start) -> None:
    checks.every_size_in_order(listener_factory, MUX)


@needs_kqueue
def test_many_clients_at_once(listener_factory: Start) -> None:
    checks.many_clients_at_once(listener_factory, MUX)


@needs_kqueue
def test_backpressure_bounds_memory(listener_factory: Start) -> None:
    checks.backpressure_bounds_memory(listener_factory, MUX)


@needs_kqueue
def test_resets_and_vanishing_clients_leak_nothing(listener_factory: Start) -> None:
    checks.resets_and_vanishing_clients_leak_nothing(listener_factory, MUX)


@pytest.mark.skipif(hasattr(select, "kqueue"), reason="kqueue exists here")
def test_unavailable_names_the_available_ones() -> None:
    result = run_netkit("listen", "tcp", "--port", "0", "--mux", MUX)
    assert result.returncode == 2
    assert "kqueue is not available on this system (available: blocking, thread" in result.stderr
