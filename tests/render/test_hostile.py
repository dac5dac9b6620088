"""Every renderer, driven with the hostile-string corpus in every text field of its results,
in a pipe and on a (forced) colour terminal: nothing raises, no raw control character comes
out, the text is shown escaped, and --json carries the exact value.

The result objects come from ``tests.render.factory.hostile``: each str field of a result (and
of the records inside it) holds the same hostile string, so a field that a renderer forgets to
treat as data fails here.
"""

import io
import json
from collections.abc import Callable, Iterator

import pytest

from netkit.render import tables
from tests.render.factory import hostile
from tests.render.hostile import CORPUS, SHORT_CORPUS, assert_safe


@pytest.fixture(params=["pipe", "terminal"])
def terminal(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    """Output as to a pipe, or as to a colour terminal (FORCE_COLOR), 250 columns wide."""
    on_terminal = request.param == "terminal"
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    if on_terminal:
        monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "2000")
    tables.stdout_console.cache_clear()
    tables.stderr_console.cache_clear()
    yield on_terminal
    tables.stdout_console.cache_clear()
    tables.stderr_console.cache_clear()


Render = Callable[[str], None]


def _check(render: Render, text: str, capsys: pytest.CaptureFixture[str], terminal: bool) -> None:
    render(text)
    captured = capsys.readouterr()
    assert_safe(captured.out + captured.err, [text] if len(text) < 100 else [], terminal=terminal)


def _json_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _check_json(render: Render, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    render(text)
    out = capsys.readouterr().out
    assert_safe(out)
    try:
        documents = [json.loads(out)]
    except json.JSONDecodeError:  # JSON Lines
        documents = [json.loads(line) for line in out.splitlines()]
    assert text in set(_json_strings(documents))


# -- conv -----------------------------------------------------------------------------------


def _conv_renderers() -> dict[str, Callable[[str, bool], None]]:
    from netkit.conv import AddressResult, ByteOrderResult
    from netkit.render.conv import render_addresses, render_byte_order

    return {
        "byte order, one": lambda t, j: render_byte_order(
            [hostile(ByteOrderResult, t, error=None, bits=32)], as_json=j
        ),
        "byte order, batch": lambda t, j: render_byte_order(
            [hostile(ByteOrderResult, t, bits=32), hostile(ByteOrderResult, t, error=None)],
            as_json=j,
        ),
        "address, one": lambda t, j: render_addresses(
            [hostile(AddressResult, t, error=None, family="IPv6")], as_json=j
        ),
        "address, batch": lambda t, j: render_addresses(
            [hostile(AddressResult, t), hostile(AddressResult, t, error=None)], as_json=j
        ),
    }


# -- resolve --------------------------------------------------------------------------------


def _resolve_renderers() -> dict[str, Callable[[str, bool], None]]:
    from netkit.render.resolve import render_dns, render_legacy, render_modern
    from netkit.resolve.query import DnsResult
    from netkit.resolve.system import LegacyResult, ModernResult

    def legacy(count: int, short: bool = False) -> Callable[[str, bool], None]:
        return lambda t, j: render_legacy(
            [hostile(LegacyResult, t, error=None)] * count, as_json=j, short=short
        )

    def modern(count: int, short: bool = False) -> Callable[[str, bool], None]:
        return lambda t, j: render_modern(
            [hostile(ModernResult, t, error=None)] * count, as_json=j, short=short
        )

    def dns(count: int, short: bool = False, **fixed: object) -> Callable[[str, bool], None]:
        return lambda t, j: render_dns(
            [hostile(DnsResult, t, **fixed)] * count, as_json=j, short=short
        )

    return {
        "legacy, one": legacy(1),
        "legacy, batch": legacy(3),
        "legacy, short": legacy(2, short=True),
        "legacy, 301 rows": legacy(301),
        "modern, one": modern(1),
        "modern, batch": modern(3),
        "modern, short": modern(2, short=True),
        "modern, 301 rows": modern(301),
        "modern, getnameinfo": lambda t, j: render_modern(
            [hostile(ModernResult, t, error=None, results=[])], as_json=j, short=False
        ),
        "dns, dig lines": dns(1, error=None),
        "dns, failed": dns(1, rcode="SERVFAIL"),
        "dns, short": dns(2, short=True),
        "dns, table": dns(3),
        "dns, 301 rows": dns(301, error=None),
        "dns, https": dns(1, error=None, transport="https"),
    }


# -- conns and ifaces -----------------------------------------------------------------------


def _sysinfo_renderers() -> dict[str, Callable[[str, bool], None]]:
    from netkit.render.conns import ConnectionColumns, render_connections
    from netkit.render.sysinfo import rates_display, render_interfaces
    from netkit.sysinfo.conns import ConnectionListing
    from netkit.sysinfo.ifaces import Interface, InterfaceRates

    def rates(t: str, j: bool) -> None:
        with rates_display(as_json=j, interval=1.0) as display:
            display([hostile(InterfaceRates, t)])

    return {
        "conns": lambda t, j: render_connections(hostile(ConnectionListing, t), as_json=j),
        "conns -eomi": lambda t, j: render_connections(
            hostile(ConnectionListing, t),
            as_json=j,
            shown=ConnectionColumns(True, True, True, True),
        ),
        "ifaces": lambda t, j: render_interfaces([hostile(Interface, t)], as_json=j),
        "ifaces --watch": rates,
    }


# -- listen, connect, ipc, bench --------------------------------------------------------------


def _ipc_renderers() -> dict[str, Callable[[str, bool], None]]:
    from netkit.ipc.bench import BenchResult
    from netkit.ipc.demos import DemoResult
    from netkit.ipc.fdpass import FdPassResult, PeerCredentials
    from netkit.render.ipc import render_bench, render_demo, render_fdpass

    return {
        "ipc demo": lambda t, j: render_demo(hostile(DemoResult, t, demo="pipe"), as_json=j),
        "ipc fdpass": lambda t, j: render_fdpass(
            hostile(FdPassResult, t, credentials=(hostile(PeerCredentials, t, seen_by="parent"),)),
            as_json=j,
        ),
        "ipc bench": lambda t, j: render_bench([hostile(BenchResult, t)], as_json=j),
    }


def _bench_renderers() -> dict[str, Callable[[str, bool], None]]:
    from netkit.bench.latency import figures as latency_figures
    from netkit.bench.latency import fold, new_counters
    from netkit.bench.mux import MuxResult
    from netkit.bench.runner import BenchResult
    from netkit.render.bench import render_bench, render_mux

    counters = new_counters()
    counters[40] = 9
    latency = latency_figures(fold(counters, [2_000_000]), (50.0, 99.0))
    numbers = {"latency": latency, "uncorrected": latency, "connect": latency,
               "percentiles": (50.0, 99.0)}  # fmt: skip

    return {
        "bench": lambda t, j: render_bench(
            hostile(BenchResult, t, load_cpu_percent=95.0, rate=10.0, **numbers), as_json=j
        ),
        "bench mux": lambda t, j: render_mux(
            [hostile(MuxResult, t), hostile(MuxResult, t, idle=0, load_cpu_percent=99.0)],
            as_json=j,
        ),
    }


RENDERERS = {
    **_conv_renderers(),
    **_resolve_renderers(),
    **_sysinfo_renderers(),
    **_ipc_renderers(),
    **_bench_renderers(),
}


@pytest.mark.parametrize("name", RENDERERS)
@pytest.mark.parametrize("text", CORPUS, ids=lambda t: repr(t[:20]))
def test_renderer_shows_hostile_text_as_data(
    name: str, text: str, terminal: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    _check(lambda t: RENDERERS[name](t, False), text, capsys, terminal)


@pytest.mark.parametrize("name", RENDERERS)
@pytest.mark.parametrize("text", [t for t in SHORT_CORPUS if t], ids=lambda t: repr(t[:20]))
def test_json_carries_the_exact_value(
    name: str, text: str, terminal: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    _check_json(lambda t: RENDERERS[name](t, True), text, capsys)


# -- logs and streams -------------------------------------------------------------------------


@pytest.mark.parametrize("text", CORPUS, ids=lambda t: repr(t[:20]))
@pytest.mark.parametrize("live", [False, True], ids=["lines", "live panel"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_listen_log_lines(
    text: str, live: bool, as_json: bool, terminal: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from netkit.listen.events import (
        ConnectionClosed,
        ConnectionOpened,
        ConnectionRefused,
        Listening,
        Notice,
        StatsSnapshot,
    )
    from netkit.render.listen import hex_sink, make_observer, render_summary

    observer = make_observer(
        verbose=True, as_json=as_json, quiet=False, stream=sys.stderr, live=live
    )
    observer.listening(hostile(Listening, text))
    observer.notice(hostile(Notice, text))
    observer.refused(hostile(ConnectionRefused, text))
    assert observer.opened is not None and observer.closed is not None
    observer.opened(hostile(ConnectionOpened, text))
    observer.closed(hostile(ConnectionClosed, text))
    hex_sink()(text, text.encode(errors="surrogateescape"))
    render_summary(hostile(StatsSnapshot, text), as_json=as_json, stream=sys.stderr)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    shown = [text] if len(text) < 100 and not as_json else []
    assert_safe(output, shown, terminal=terminal)
    if as_json:
        for line in captured.err.splitlines():
            if line.startswith("{"):
                assert text in set(_json_strings(json.loads(line)))


@pytest.mark.parametrize("text", CORPUS, ids=lambda t: repr(t[:20]))
def test_listen_live_panel(text: str, terminal: bool) -> None:
    from rich.console import Console

    from netkit.listen.events import StatsSnapshot
    from netkit.render import listen

    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=250, markup=False)
    snapshot = hostile(StatsSnapshot, text)
    original = tables.stderr_console
    tables.stderr_console = lambda: console  # type: ignore[assignment]  # a console to read
    try:
        with listen.live_stats(lambda: snapshot):
            pass
    finally:
        tables.stderr_console = original  # type: ignore[method-assign]  # put back
    assert_safe(out.getvalue(), terminal=terminal)


@pytest.mark.parametrize("text", CORPUS, ids=lambda t: repr(t[:20]))
@pytest.mark.parametrize("verbose", [True, False])
def test_connect_session_log(
    text: str, verbose: bool, terminal: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    from netkit.connect import SessionEvent, SessionSummary
    from netkit.render.connect import SessionLog

    log = SessionLog(verbose=verbose, as_json=not verbose)
    for kind in ("connected", "connect-failed", "idle-timeout"):
        log.event(hostile(SessionEvent, text, event=kind))
    log.summary(hostile(SessionSummary, text))
    err = capsys.readouterr().err
    assert_safe(err, [text] if verbose and len(text) < 100 else [], terminal=terminal)
    if not verbose and text:
        assert all(text in set(_json_strings(json.loads(line))) for line in err.splitlines())


@pytest.mark.parametrize("text", CORPUS, ids=lambda t: repr(t[:20]))
def test_messages_are_one_line_of_data(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    from netkit.render.output import emit_message

    emit_message("error", text)
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert_safe(err, [text] if len(text) < 100 else [])
