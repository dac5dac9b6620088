"""`netkit ipc fdpass`: a descriptor passed with SCM_RIGHTS, and SO_PEERCRED on both ends."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import netkit_executable, run_netkit

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SO_PEERCRED is Linux's")


def _fdpass(*args: str) -> tuple[int, dict[str, Any]]:
    """Run it with Popen so the test knows the parent's pid."""
    process = subprocess.Popen(
        [netkit_executable(), "ipc", "fdpass", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()
    data: dict[str, Any] = json.loads(stdout)
    return process.pid, data


def test_child_reads_a_nameless_file_only_the_passed_descriptor_reaches() -> None:
    _, data = _fdpass()
    assert data["file"] is None
    assert data["child_line"] == (
        f"Child read through fd {data['child_fd']} (passed with SCM_RIGHTS): "
        "Hello from a file the parent opened"
    )
    assert data["bytes_read"] == len("Hello from a file the parent opened\n")
    calls = [step["call"] for step in data["steps"]]
    assert any("O_TMPFILE" in call for call in calls)
    assert any(f"SCM_RIGHTS [fd {data['parent_fd']}]" in call for call in calls)


def test_child_reads_the_given_file_through_the_descriptor(tmp_path: Path) -> None:
    content = f"netkit fdpass test {os.getpid()}\nsecond line\n"
    path = tmp_path / "passed.txt"
    path.write_text(content)
    _, data = _fdpass("--file", str(path))
    assert data["file"] == str(path)
    assert data["bytes_read"] == len(content)
    assert data["child_line"].endswith(
        f"(passed with SCM_RIGHTS): netkit fdpass test {os.getpid()}"
    )
    steps = data["steps"]
    opened = next(i for i, s in enumerate(steps) if s["call"].startswith("open("))
    received = next(i for i, s in enumerate(steps) if s["call"].startswith("recvmsg("))
    connected = next(i for i, s in enumerate(steps) if "connect(" in s["call"])
    assert connected < opened < received  # opened after the child existed: not inherited
    assert steps[received]["actor"] == "child"
    assert steps[received]["result"].endswith(f"SCM_RIGHTS: fd {data['child_fd']}")


def test_peer_credentials_name_the_other_process() -> None:
    parent_pid, data = _fdpass()
    assert data["parent_pid"] == parent_pid
    by_viewer = {creds["seen_by"]: creds for creds in data["credentials"]}
    assert by_viewer["parent"]["pid"] == data["child_pid"]
    assert by_viewer["child"]["pid"] == parent_pid
    for creds in by_viewer.values():
        assert (creds["uid"], creds["gid"]) == (os.getuid(), os.getgid())


def test_table_output_names_scm_rights_and_so_peercred() -> None:
    result = run_netkit("ipc", "fdpass")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Child read through fd ")
    assert "SCM_RIGHTS [fd " in result.stdout  # literal brackets, not eaten as rich markup
    assert "SO_PEERCRED" in result.stdout
    assert "NO" not in result.stdout.split("SO_PEERCRED: the peer")[1]


def test_missing_file_is_a_usage_error() -> None:
    result = run_netkit("ipc", "fdpass", "--file", "/nonexistent/netkit-test")
    assert result.returncode == 2
