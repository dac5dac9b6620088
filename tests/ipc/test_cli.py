"""Argument handling of `netkit ipc`, through click's CliRunner (no processes forked)."""

import click
import pytest
from click.testing import CliRunner

from netkit.cli import cli
from netkit.cli.ipc import ByteSize


@pytest.mark.parametrize(
    ("text", "size"),
    [("65536", 65536), ("64K", 65536), ("64KiB", 65536), ("1m", 1 << 20), ("64 b", 64)],
)
def test_byte_sizes(text: str, size: int) -> None:
    assert ByteSize().convert(text, None, None) == size


@pytest.mark.parametrize("text", ["", "K", "1.5K", "1G", "0", "65M"])
def test_bad_byte_sizes(text: str) -> None:
    with pytest.raises(click.BadParameter):
        ByteSize().convert(text, None, None)


def test_help_lists_the_commands_and_hides_the_test_hooks() -> None:
    result = CliRunner().invoke(cli, ["ipc", "--help"])
    assert result.exit_code == 0
    for name in ("pipe", "socketpair", "fdpass", "bench"):
        assert name in result.output
    bench_help = CliRunner().invoke(cli, ["ipc", "bench", "--help"]).output
    assert "--size" in bench_help
    assert "--inject-fault" not in bench_help


def test_unknown_kind_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["ipc", "bench", "--kind", "sctp"])
    assert result.exit_code == 2
