"""`netkit conv ... -` streams: stdin is read as rows are written, memory stays flat (issue #13)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import netkit_executable, run_netkit

# Runs netkit and prints the peak RSS of that process alone. A child started with vfork (as
# subprocess does) inherits its parent's high-water mark, and pytest's is far above netkit's,
# so the measuring parent is this small fresh interpreter instead of the test process.
_PEAK_RSS = """
import os, subprocess, sys
with open(sys.argv[1], "rb") as stdin:
    child = subprocess.Popen(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def _peak_rss(tmp_path: Path, rows: int, *args: str) -> int:
    stdin_path = tmp_path / f"{rows}.txt"
    with stdin_path.open("w") as out:
        for i in range(rows):
            # Varied values (IPv4, IPv6, with a prefix, invalid) so no cache makes rows free.
            ipv4 = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
            out.write(f"{ipv4}\n" if i % 4 else f"{i:x}::/64\n")
            if i % 1000 == 0:
                out.write("1.2.3\n")
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, str(stdin_path), netkit_executable(), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    status, peak = map(int, done.stdout.split())
    assert status == 1  # the invalid rows make the batch fail
    return peak


@pytest.mark.parametrize("form", [[], ["--json"]], ids=["table", "json"])
def test_memory_is_flat_from_10000_to_200000_rows(tmp_path: Path, form: list[str]) -> None:
    small = _peak_rss(tmp_path, 10_000, "conv", "ip", *form, "-")
    big = _peak_rss(tmp_path, 200_000, "conv", "ip", *form, "-")
    assert big <= 1.5 * small, f"peak RSS {small} at 10,000 rows, {big} at 200,000"


@pytest.mark.parametrize(
    "command",
    ["conv ip -", "conv ip --json -", "conv port -", "conv long --json -"],
)
def test_an_endless_stdin_prints_at_once(command: str) -> None:
    """`yes | netkit ... | head` ends when head has its lines: nothing waits for stdin's end."""
    if shutil.which("yes") is None or shutil.which("head") is None:
        pytest.skip("needs yes and head")
    value = "1.2.3.4" if "ip" in command else "80"
    done = subprocess.run(
        ["sh", "-c", f"yes {value} | '{netkit_executable()}' {command} | head -3"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert len(done.stdout.splitlines()) == 3
    assert done.stderr == ""


def test_a_json_stream_is_one_array_in_input_order() -> None:
    values = [f"10.0.{i // 256}.{i % 256}" for i in range(1000)] + ["1.2.3", "::1"]
    done = run_netkit("conv", "ip", "--json", "-", input="\n".join(values) + "\n")
    assert done.returncode == 1
    rows = json.loads(done.stdout)
    assert [row["input"] for row in rows] == values
    assert [row["error"] is None for row in rows[-2:]] == [False, True]


def test_a_streamed_table_keeps_every_row_and_its_columns() -> None:
    values = [str(port) for port in range(0, 65536, 7)] + ["70000"]
    done = run_netkit("conv", "port", "-", input="\n".join(values) + "\n")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["INPUT", "HOST", "NETWORK", "WIRE", "BYTES", "ERROR"]
    assert [line.split()[0] for line in lines[1:]] == values
    assert "out of range" in lines[-1]
