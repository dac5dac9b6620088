"""The one entry point the CLI calls: pick the design, bind, serve, return the totals."""

from collections.abc import Callable

from netkit.listen.config import ListenConfig
from netkit.listen.engine import Engine
from netkit.listen.events import Observer, StatsSnapshot
from netkit.listen.mux import backend_class, resolve


def prepare(config: ListenConfig, observer: Observer) -> Engine:
    """Validate the design for this transport (usage errors come before any bind)."""
    return Engine(config, observer, resolve(config.mux, config.transport))


def serve(engine: Engine, report: Callable[[StatsSnapshot], None] | None = None) -> StatsSnapshot:
    """Run until SIGINT/SIGTERM (or --once); the bound socket is gone when this returns.
    ``report`` shows the totals before signals are handed back (Engine.run)."""
    return engine.run(backend_class(engine.mux), report)
