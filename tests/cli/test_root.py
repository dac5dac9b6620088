"""The root command: version, help, lazy loading, and the one place errors become exit statuses."""

import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from netkit import __version__
from netkit.cli import COMMANDS, cli
from tests.support import netkit_executable, run_netkit


def test_version() -> None:
    done = run_netkit("--version")
    assert done.returncode == 0 and __version__ in done.stdout


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "netkit", "conv", "port", "80"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and "0x50" in done.stdout


def test_help_lists_every_registered_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.stdout


def test_conv_does_not_import_heavy_modules() -> None:
    probe = (
        "import sys; from netkit.cli import run; run(['conv', 'ip', '192.168.1.1']); "
        "heavy = ('dns', 'psutil', 'asyncio', 'rich.console', 'ssl', 'cryptography'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_unknown_command_is_a_usage_error() -> None:
    done = run_netkit("frobnicate")
    assert done.returncode == 2
    assert done.stderr == "netkit: error: No such command 'frobnicate'. (see 'netkit --help')\n"


def test_unexpected_failure_is_one_line_and_debug_shows_the_traceback() -> None:
    # An unwritable stdout is a runtime failure the command cannot foresee.
    probe = (
        "import sys, io; "
        "sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO('/dev/full', 'w')));"
        "from netkit.cli import run; print('STATUS', run(ARGS), file=sys.stderr)"
    )
    for args, traceback_expected in (
        (["conv", "ip", "1.2.3.4"], False),
        (["--debug", "conv", "ip", "1.2.3.4"], True),
        (["conv", "ip", "1.2.3.4", "--debug"], True),
        (["conv", "--debug", "ip", "1.2.3.4"], True),
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe.replace("ARGS", repr(args))],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert "STATUS 1" in done.stderr
        assert "netkit: error:" in done.stderr
        assert ("Traceback" in done.stderr) is traceback_expected


def test_broken_pipe_is_quiet() -> None:
    netkit = subprocess.run(
        [
            "bash",
            "-c",
            f"seq 1 3000 | sed 's/.*/10.0.0.1/' | '{sys.executable}' -m netkit conv ip --json - "
            "| head -c 10",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert netkit.stderr == ""


def test_a_group_without_a_command_prints_its_help_and_exits_2() -> None:
    for args in ((), ("conv",), ("ipc",)):
        done = run_netkit(*args)
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.startswith(f"Usage: {' '.join(('netkit', *args))} [OPTIONS] COMMAND")
        assert "netkit: error:" not in done.stderr  # not an error line wrapped around the help


def test_a_closed_stdout_is_one_line_and_exit_1() -> None:
    for args in ("conv ip 1.2.3.4", "conv ip 1.2.3.4 ::1", "ipc pipe"):
        done = subprocess.run(
            ["bash", "-c", f"exec '{sys.executable}' -m netkit {args} >&-"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 1
        assert done.stderr == "netkit: error: standard output is closed\n"


def test_ctrl_c_exits_130_quietly() -> None:
    # conv waiting for a line on stdin: SIGINT is Ctrl-C at a terminal.
    process = subprocess.Popen(
        [netkit_executable(), "conv", "ip", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(1.0)  # let it start and block in read()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    assert process.returncode == 130
    assert (out, err) == (b"", b"")


@pytest.mark.parametrize(
    "args",
    [
        "conv ip 1.2.3.4",
        "conv ip 1.2.3.4 ::1",
        "conv ip --json 1.2.3.4",
        "conns",
        "ifaces",
        "ipc pipe",
        "ipc socketpair",
        "resolve localhost",
        "completion bash",
    ],
)
def test_a_reader_that_went_away_is_exit_141_and_quiet(args: str) -> None:
    """One rule for every command: the status of a process SIGPIPE ended, and no message."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before netkit writes anything
    try:
        done = subprocess.run(
            [sys.executable, "-m", "netkit", *args.split()],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert "error" not in done.stderr and "Traceback" not in done.stderr  # notes may stand
