"""`netkit ipc` with a hostile --message, --reply and --file: the child's own line, the step
tables and the closing lines show them escaped; --json carries them exactly."""

import json
import os
import tempfile

import pytest

from netkit.render.escape import visible
from tests.render.hostile import raw_controls
from tests.support import run_netkit

HOSTILE = "[/x]\x1b]0;pw\x07\x1b[31m\u202e[bold]x[/bold]"


@pytest.mark.parametrize("colour", [False, True], ids=["pipe", "FORCE_COLOR"])
@pytest.mark.parametrize("demo", ["pipe", "socketpair"])
def test_a_hostile_message_is_shown_as_data(demo: str, colour: bool) -> None:
    extra = ("--reply", HOSTILE) if demo == "socketpair" else ()
    env = {"FORCE_COLOR": "1", "NO_COLOR": "", "COLUMNS": "400"} if colour else {}
    result = run_netkit("ipc", demo, "--message", HOSTILE, *extra, env=env)
    assert result.returncode == 0, result.stderr
    assert raw_controls(result.stdout + result.stderr, terminal=colour) == []
    first = result.stdout.splitlines()[0]
    assert first.startswith("Child ") and first.endswith(visible(HOSTILE))
    assert visible(HOSTILE) in result.stdout.split("\n", 1)[1]  # the step table's write()


@pytest.mark.parametrize("demo", ["pipe", "socketpair"])
def test_json_carries_the_exact_message(demo: str) -> None:
    result = run_netkit("ipc", demo, "--message", HOSTILE, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["child_line"].endswith(HOSTILE)
    assert raw_controls(result.stdout, terminal=False) == []


def test_fdpass_names_a_hostile_file_as_data() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "file\x1b]0;pw\x07[bold]\u202e")
        with open(path, "w") as file:
            file.write("content\n")
        result = run_netkit("ipc", "fdpass", "--file", path, env={"COLUMNS": "400"})
        as_json = run_netkit("ipc", "fdpass", "--file", path, "--json")
    assert result.returncode == 0, result.stderr
    assert f"{visible(path)}: fd " in result.stdout
    assert raw_controls(result.stdout + result.stderr, terminal=False) == []
    assert json.loads(as_json.stdout)["file"] == path
