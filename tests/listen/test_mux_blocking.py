"""The iterative back end: one client at a time, each served correctly
(netkit/listen/mux/blocking.py)."""

from tests.listen import checks
from tests.listen.checks import Start

MUX = "blocking"


def test_every_size_in_order(listener_factory: Start) -> None:
    checks.every_size_in_order(listener_factory, MUX)


def test_clients_are_served_one_after_another(listener_factory: Start) -> None:
    # Concurrent clients wait in the backlog and are then served in turn, each completely.
    checks.many_clients_at_once(listener_factory, MUX, clients=20, size=50000)


def test_half_close_gets_everything(listener_factory: Start) -> None:
    checks.half_close_gets_everything(listener_factory, MUX)


def test_backpressure_bounds_memory(listener_factory: Start) -> None:
    checks.backpressure_bounds_memory(listener_factory, MUX, others_served=False)


def test_resets_and_vanishing_clients_leak_nothing(listener_factory: Start) -> None:
    checks.resets_and_vanishing_clients_leak_nothing(listener_factory, MUX)
