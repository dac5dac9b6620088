"""scripts/bench_bulk_floor.py runs (the figures themselves are for a quiet machine, not a
test): it reaches into the pipeline's steps by name, so a refactoring that moves one fails
here rather than when someone next measures."""

import subprocess
import sys
from pathlib import Path

from tests.support import require_tool

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_bulk_floor.py"


def test_the_floor_script_measures_every_step() -> None:
    require_tool("nsd")
    require_tool("dnsperf")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--names", "300", "--rounds", "1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {line.split("  ")[1].strip(): line for line in done.stdout.splitlines()[2:6]}
    assert list(rows) == ["as it is", "without the JSON line", "without the result",
                          "without decoding"]  # fmt: skip
    assert "bare send/recv loop:" in done.stdout and "x dnsperf's" in done.stdout
