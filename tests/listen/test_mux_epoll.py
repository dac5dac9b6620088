"""The epoll back end under load and faults (netkit/listen/mux/epoll.py)."""

from tests.listen import checks
from tests.listen.checks import Start

MUX = "epoll"


def test_every_size_in_order(listener_factory: Start) -> None:
    checks.every_size_in_order(listener_factory, MUX)


def test_many_clients_at_once(listener_factory: Start) -> None:
    checks.many_clients_at_once(listener_factory, MUX)


def test_beyond_fd_setsize(listener_factory: Start) -> None:
    checks.beyond_fd_setsize(listener_factory, MUX)


def test_half_close_gets_everything(listener_factory: Start) -> None:
    checks.half_close_gets_everything(listener_factory, MUX)


def test_backpressure_bounds_memory(listener_factory: Start) -> None:
    checks.backpressure_bounds_memory(listener_factory, MUX)


def test_resets_and_vanishing_clients_leak_nothing(listener_factory: Start) -> None:
    checks.resets_and_vanishing_clients_leak_nothing(listener_factory, MUX)


def test_out_of_descriptors_recovers(listener_factory: Start) -> None:
    checks.out_of_descriptors_recovers(listener_factory, MUX)
