"""The chart renderables, drawn with fixed data at a fixed width and compared as text."""

import io

from rich.console import Console, RenderableType

from netkit.render.charts import bar, bar_chart, histogram_chart, sparkline


def drawn(renderable: RenderableType, width: int = 60) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, markup=False).print(renderable)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())


def test_bars_are_drawn_to_an_eighth_of_a_character() -> None:
    assert bar(1, 1, 4) == "████"
    assert bar(1, 2, 4) == "██"
    assert bar(1, 16, 4) == "▎"
    assert bar(0, 5, 4) == bar(3, 0, 4) == ""
    assert bar(1, 1000, 4) == "▏"  # anything above zero shows


def test_sparkline_scales_to_the_peak_and_keeps_the_last_values() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == " ▂▃▄▅▆▇█"
    assert sparkline([5, 5, 10], width=2) == "▅█"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([]) == ""


def test_latency_histogram_snapshot() -> None:
    buckets = [(32, 10), (64, 900), (128, 80), (256, 0), (512, 10)]
    assert drawn(histogram_chart(buckets, title="latency histogram")) == "\n".join(
        [
            "latency histogram",
            " < 32 µs ▍                               10  1.0%",
            " < 64 µs ██████████████████████████████ 900 90.0%",
            "< 128 µs ██▋                             80  8.0%",
            "< 256 µs                                  0  0.0%",
            "< 512 µs ▍                               10  1.0%",
        ]
    )


def test_bar_chart_snapshot() -> None:
    rows = [("epoll", 80_000.0, "80,000"), ("poll", 20_000.0, "20,000"), ("select", None, "")]
    assert drawn(bar_chart(rows, title="req/s")) == "\n".join(
        [
            "req/s",
            "epoll  ██████████████████████████████ 80,000",
            "poll   ███████▌                       20,000",
            "select                                     -",
        ]
    )
