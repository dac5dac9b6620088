"""The README's first command: scripts/install.sh installs netkit and its man pages, and runs."""

import os
import subprocess
from pathlib import Path

from tests.support import require_tool

REPO = Path(__file__).resolve().parents[2]


def test_install_script_links_the_command_and_the_man_pages(tmp_path: Path) -> None:
    bash, man = require_tool("bash"), require_tool("man")
    bindir = tmp_path / "local" / "bin"
    env = {**os.environ, "NETKIT_HOME": str(tmp_path / "venv"), "NETKIT_BIN": str(bindir)}
    done = subprocess.run(
        [bash, str(REPO / "scripts" / "install.sh")],
        capture_output=True, text=True, timeout=600, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ran = subprocess.run(
        [str(bindir / "netkit"), "conv", "ip", "192.168.1.1"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert ran.returncode == 0 and ran.stdout.startswith("IPv4: 192.168.1.1 (0xc0a80101)\n")
    # man finds pages through PATH: a bin directory on it implies ../share/man.
    man_env = {k: v for k, v in os.environ.items() if k != "MANPATH"}
    found = subprocess.run(
        [man, "-w", "netkit", "netkit-conv"],
        capture_output=True, text=True, timeout=30, check=False,
        env={**man_env, "PATH": f"{bindir}:/usr/bin:/bin"},
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert [Path(page).name for page in found.stdout.split()] == ["netkit.1", "netkit-conv.1"]
