"""What only the thread-per-connection design has (netkit/listen/mux/thread.py); the load and
fault checks every design passes are in test_mux.py."""

from tests.support import run_netkit

MUX = "thread"


def test_udp_is_refused_with_a_reason() -> None:
    result = run_netkit("listen", "udp", "--port", "0", "--mux", MUX)
    assert result.returncode == 2
    assert "UDP has none" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_shutdown_between_adding_and_starting_a_thread() -> None:
    """SIGINT may arrive after a connection thread is recorded but before it starts: the
    clean-up must not try to join a thread that never ran (RuntimeError)."""
    import threading

    from netkit.listen.config import ListenConfig
    from netkit.listen.engine import Engine
    from netkit.listen.events import Observer
    from netkit.listen.mux.thread import ThreadServer
    from netkit.listen.transport import open_socket

    config = ListenConfig("tcp", mux=MUX, port=0)
    engine = Engine(config, Observer(), MUX)
    engine.bound = open_socket(config)
    try:
        server = ThreadServer(engine)
        server.threads.add(threading.Thread(target=lambda: None))  # recorded, never started
        server.close_all()
    finally:
        engine.bound.close()
