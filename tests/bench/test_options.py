"""`netkit bench` argument parsing, without running any load (click's CliRunner)."""

import pytest

from tests.support import invoke_netkit


@pytest.mark.parametrize(
    ("text", "size"),
    [("512", 512), ("64K", 65536), ("64k", 65536), ("256KiB", 262144), ("1M", 1 << 20),
     ("2mb", 2 << 20)],
)  # fmt: skip
def test_sizes_take_binary_suffixes(text: str, size: int) -> None:
    from netkit.cli.bench import parse_size

    assert parse_size(None, None, text) == size  # type: ignore[arg-type]  # unused by the parser


@pytest.mark.parametrize("text", ["", "K", "1.5K", "12Q", "-1", "0"])
def test_bad_sizes_are_usage_errors(text: str) -> None:
    # Through the root command, as users run it (click caches each command's help option
    # from the first context it sees, and the man pages are generated from the same objects).
    status, _, _ = invoke_netkit("bench", "tcp", "127.0.0.1", "5566", "-s", text)
    assert status == 2


def test_mux_idle_levels_must_be_counts() -> None:
    status, _, err = invoke_netkit("bench", "mux", "--idle", "0,lots")
    assert status == 2
    assert "--idle" in err and "lots" in err
