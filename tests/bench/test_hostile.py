"""`netkit bench` against a server at a hostile Unix path that hangs up: the title and the
error reasons show the path as data, --json carries it exactly."""

import json
import os
import socket
import tempfile

import pytest

from netkit.render.escape import visible
from tests.connect.servers import unix_server
from tests.render.hostile import raw_controls
from tests.support import run_netkit


def _hang_up(conn: socket.socket) -> None:
    conn.recv(65536)  # one request, then close: the load generator sees the peer go


@pytest.mark.parametrize("colour", [False, True], ids=["pipe", "FORCE_COLOR"])
def test_error_reasons_and_title_show_a_hostile_path_as_data(colour: bool) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "s\x1b]0;pw\x07[bold]\u202e")
        env = {"FORCE_COLOR": "1", "NO_COLOR": "", "COLUMNS": "400"} if colour else {}
        with unix_server(_hang_up, path):
            result = run_netkit("bench", "unix", path, "-c", "2", "-d", "0.5", env=env)
            as_json = run_netkit("bench", "unix", path, "-c", "2", "-d", "0.5", "--json")
    assert result.returncode == 1, result.stderr
    assert visible(path) in result.stdout
    assert "netkit: error: " in result.stderr  # the reasons go with the other messages
    assert raw_controls(result.stdout + result.stderr, terminal=colour) == []
    assert json.loads(as_json.stdout)["target"] == path


def test_a_hostile_path_that_refuses_is_one_line() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "none\x1b[2J")
        result = run_netkit("bench", "unix", path, "-d", "0.3")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and visible(path) in result.stderr
    assert raw_controls(result.stderr, terminal=False) == []
