"""The load and fault checks (tests/listen/checks.py) over every stream design of
netkit/listen/mux/: one module parametrized by design instead of one module per design. What
only one design has (select's FD_SETSIZE, the thread design's UDP refusal, kqueue over a
stand-in) stays in that design's own test module."""

import select

import pytest

from tests.listen import checks
from tests.listen.checks import Start

_needs_kqueue = pytest.mark.skipif(not hasattr(select, "kqueue"), reason="no kqueue here")


def _over(*designs: str) -> pytest.MarkDecorator:
    """Run a test once per design named; kqueue skips where the system has none."""
    return pytest.mark.parametrize(
        "mux",
        [pytest.param(d, marks=_needs_kqueue) if d == "kqueue" else d for d in designs],
    )


# Each check runs over the designs it ran over when every design had its own test module.
every_design = _over("blocking", "thread", "select", "poll", "epoll", "kqueue")
concurrent_designs = _over("thread", "select", "poll", "epoll", "kqueue")  # blocking: one client
beyond_select = _over("poll", "epoll")  # more clients than select's FD_SETSIZE
half_close_designs = _over("blocking", "thread", "select", "poll", "epoll")
out_of_descriptors_designs = _over("thread", "select", "poll", "epoll")


@every_design
def test_every_size_in_order(listener_factory: Start, mux: str) -> None:
    checks.every_size_in_order(listener_factory, mux)


@concurrent_designs
def test_many_clients_at_once(listener_factory: Start, mux: str) -> None:
    checks.many_clients_at_once(listener_factory, mux)


def test_blocking_serves_clients_one_after_another(listener_factory: Start) -> None:
    # Concurrent clients wait in the backlog and are then served in turn, each completely.
    checks.many_clients_at_once(listener_factory, "blocking", clients=20, size=50000)


@beyond_select
def test_beyond_fd_setsize(listener_factory: Start, mux: str) -> None:
    checks.beyond_fd_setsize(listener_factory, mux)


@half_close_designs
def test_half_close_gets_everything(listener_factory: Start, mux: str) -> None:
    checks.half_close_gets_everything(listener_factory, mux)


@every_design
def test_backpressure_bounds_memory(listener_factory: Start, mux: str) -> None:
    # The blocking design serves nobody else while one client floods it: that is its design.
    checks.backpressure_bounds_memory(listener_factory, mux, others_served=mux != "blocking")


@every_design
def test_resets_and_vanishing_clients_leak_nothing(listener_factory: Start, mux: str) -> None:
    checks.resets_and_vanishing_clients_leak_nothing(listener_factory, mux)


@out_of_descriptors_designs
def test_out_of_descriptors_recovers(listener_factory: Start, mux: str) -> None:
    checks.out_of_descriptors_recovers(listener_factory, mux)
