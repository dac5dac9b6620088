"""The one entry point the CLI calls: pick the design, bind, serve, return the totals."""

from collections.abc import Callable

from netkit.listen.config import ListenConfig
from netkit.listen.engine import Engine
from netkit.listen.events import Observer, StatsSnapshot
from netkit.listen.mux import backend_class, resolve

EXEC_DESIGN = "exec"  # the name the readiness line shows for --exec (no --mux applies)


def prepare(config: ListenConfig, observer: Observer) -> Engine:
    """Validate the design for this transport (usage errors come before any bind)."""
    if config.exec_argv:
        return Engine(config, observer, EXEC_DESIGN)
    return Engine(config, observer, resolve(config.mux, config.transport))


def serve(engine: Engine, report: Callable[[StatsSnapshot], None] | None = None) -> StatsSnapshot:
    """Run until SIGINT/SIGTERM (or --once); the bound socket is gone when this returns.
    ``report`` shows the totals before signals are handed back (Engine.run)."""
    if engine.mux == EXEC_DESIGN:
        from netkit.listen.exec import ExecServer

        return engine.run(ExecServer, report)
    return engine.run(backend_class(engine.mux), report)
