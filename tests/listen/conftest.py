"""Fixtures for the listener tests: a server per test (or per module), always stopped."""

from collections.abc import Callable, Iterator

import pytest

from tests.listen.clients import Listener, start_listener


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
