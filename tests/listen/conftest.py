"""Fixtures for the listener tests: a server per test (or per module), always stopped."""

from collections.abc import Callable, Iterator

import pytest

from tests.listen.clients import Listener, start_listener


@pytest.fixture(scope="session", autouse=True)
def _enough_descriptors_for_the_clients() -> None:
    """Some tests hold over a thousand client sockets: raise this process's soft limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


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
