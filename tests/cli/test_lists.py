"""Every list option reads the same way in every command: a comma list, repeated, or both."""

import json

import click
import pytest

from netkit.cli import cli
from netkit.cli.options import CommaList
from tests.support import netkit_process, run_netkit


def _commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> list[tuple[str, click.Command]]:
    if not isinstance(command, click.Group):
        return [(" ".join(path), command)]
    ctx = click.Context(command)
    found = []
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is not None:
            found += _commands(sub, (*path, name))
    return found


def test_every_repeatable_option_also_takes_a_comma_list() -> None:
    lists = {
        f"{path} {param.opts[-1]}": isinstance(param.type, CommaList)
        for path, command in _commands(cli)
        for param in command.params
        if isinstance(param, click.Option) and param.multiple
    }
    assert lists, "no list options found"
    assert [name for name, by_comma in lists.items() if not by_comma] == []


def test_listen_mux_is_case_insensitive() -> None:
    with netkit_process("listen", "tcp", "--mux", "SELECT", "--port", "0") as server:
        line = server.wait_for_stderr(r"listening on tcp \S+ \((\w+)\)")
    assert line.group(1) == "select"


def test_bench_mux_designs_by_comma_and_by_repeating_in_any_case() -> None:
    result = run_netkit("bench", "mux", "--mux", "SELECT,poll", "--mux", "Thread", "--idle",
                        "0", "-c", "1", "-d", "0.1", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(row["mux"] for row in json.loads(result.stdout)) == ["poll", "select", "thread"]


def test_conv_merge_excludes_by_comma_and_by_repeating() -> None:
    base = ("conv", "merge", "10.0.0.0/24", "--json")
    comma = run_netkit(*base, "--exclude", "10.0.0.0/26,10.0.0.64/26")
    repeated = run_netkit(*base, "--exclude", "10.0.0.0/26", "--exclude", "10.0.0.64/26")
    assert comma.returncode == 0, comma.stderr
    assert comma.stdout == repeated.stdout


@pytest.mark.parametrize("bad", ["1,,2", ","])
def test_an_empty_item_is_a_usage_error(bad: str) -> None:
    result = run_netkit("conns", "--port", bad)
    assert result.returncode == 2
    assert "empty item" in result.stderr
