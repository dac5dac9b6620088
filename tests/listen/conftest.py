"""Fixtures for the listener tests: a server per test (or per module), always stopped."""

from collections.abc import Callable, Iterator

import pytest

from tests.listen.clients import Listener, start_listener


@pytest.fixture(scope="session", autouse=True)
def _enough_descriptors_for_the_clients() -> None:
    """Some tests hold over a thousand client sockets: raise this process's soft limit (not
    to the hard limit: the tools the tests start inherit it)."""
    from netkit.listen.transport import raise_open_files_limit

    raise_open_files_limit(at_most=4096)


@pytest.fixture
def listener_factory() -> Iterator[Callable[..., Listener]]:
    """Start listeners with any arguments; all are stopped at teardown."""
    started: list[Listener] = []

    def start(*args: str, shell_prefix: str | None = None) -> Listener:
        listener = start_listener(*args, shell_prefix=shell_prefix)
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.process.stop()
