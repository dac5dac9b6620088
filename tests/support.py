"""Helpers shared by the tests: run the real netkit, start servers, require third-party tools."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def invoke_netkit(*args: str, input: str | None = None) -> tuple[int, str, str]:
    """Run netkit in this process (fast) through the same error mapping as the console script;
    returns (exit status, stdout, stderr)."""
    from click.testing import CliRunner

    from netkit.cli import run

    with CliRunner().isolation(input=input) as (out, err, _):
        status = run(list(args))
    return status, out.getvalue().decode(), err.getvalue().decode()


def netkit_executable() -> str:
    """The installed console script, from the same environment as the running Python."""
    beside_python = Path(sys.executable).parent / "netkit"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("netkit")
    if found is None:
        pytest.fail("the netkit console script is not installed (pip install -e .)")
    return found


def require_tool(name: str) -> str:
    """Path of a third-party tool; skip without it locally, fail without it in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (scripts/install-test-deps.sh installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_netkit(
    *args: str,
    input: str | bytes | None = None,
    timeout: float = 30,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `netkit ARGS` to completion and return its output as text."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    data = input.decode() if isinstance(input, bytes) else input
    return subprocess.run(
        [netkit_executable(), *args],
        input=data,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        stdin=None if data is not None else subprocess.DEVNULL,
    )


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago on loopback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class RunningProcess:
    """A background process whose stderr is collected line by line as it arrives."""

    def __init__(
        self, argv: Sequence[str], env: dict[str, str] | None = None, stdout: int = subprocess.PIPE
    ) -> None:
        self.argv = list(argv)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
        )
        self.stderr_lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            with self._changed:
                self.stderr_lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_stderr(self, pattern: str, timeout: float = 10) -> re.Match[str]:
        """Block until a stderr line matches ``pattern``; fail if the process exits first."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.stderr_lines[seen:]:
                    match = compiled.search(line)
                    if match:
                        return match
                seen = len(self.stderr_lines)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(
                        f"no stderr line matching {pattern!r} from {self.argv}; "
                        f"exit={self.proc.poll()} stderr={self.stderr_lines}"
                    )
                self._changed.wait(min(remaining, 0.1))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Signal the process, wait for it, and return its exit status (kill if it hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        return self.proc.returncode


@contextmanager
def netkit_process(
    *args: str, ready: str | None = None, timeout: float = 10, env: dict[str, str] | None = None
) -> Iterator[RunningProcess]:
    """Start `netkit ARGS` in the background, wait for a stderr line matching ``ready``, and
    always stop it afterwards."""
    process = RunningProcess([netkit_executable(), *args], env=env)
    try:
        if ready is not None:
            process.wait_for_stderr(ready, timeout)
        yield process
    finally:
        process.stop()


@contextmanager
def popen_netkit(*args: str, stdin: int | None = None) -> Iterator["subprocess.Popen[bytes]"]:
    """`netkit ARGS` started with stdout and stderr as pipes, killed and reaped on the way out
    whatever happened (a test that fails before it ends leaves no process behind)."""
    process = subprocess.Popen(
        [netkit_executable(), *args], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait(5)


def interrupt(process: "subprocess.Popen[bytes]", timeout: float = 10) -> tuple[bytes, bytes]:
    """Ctrl-C (SIGINT) a running netkit and read all it writes until it ends, within timeout
    seconds (far less than the waits a test gives netkit, so an exit that waits them out fails)."""
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=timeout)


def signals_blocked_by_other_threads(pid: int) -> list[set[int]]:
    """The signals each thread of process ``pid`` but its main one blocks (from /proc)."""
    masks = []
    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
        if task.name == str(pid):
            continue
        try:
            status = (task / "status").read_text()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        mask = int(next(line for line in status.splitlines() if line.startswith("SigBlk:"))[7:], 16)
        masks.append({number for number in range(1, 65) if mask >> (number - 1) & 1})
    return masks


class TerminalOutput:
    """A process whose stdout is a pseudo-terminal (so it sees isatty() true) and whose stderr
    is a pipe; what it writes to the terminal is collected as text."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        import pty

        self.master, slave = pty.openpty()
        self.process = RunningProcess(argv, env=env, stdout=slave)
        os.close(slave)
        self._screen = bytearray()
        self._pump = threading.Thread(target=self._read_terminal, daemon=True)
        self._pump.start()

    def _read_terminal(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: every writer of the terminal has closed it
                return
            if not chunk:
                return
            self._screen += chunk

    def screen(self, timeout: float = 10) -> str:
        """Everything written to the terminal once the process has ended, with the terminal's
        own CR LF for a newline (ONLCR) turned back into LF."""
        self._pump.join(timeout)
        os.close(self.master)
        return self._screen.decode(errors="backslashreplace").replace("\r\n", "\n")

    def wait_screen(self, text: str, timeout: float = 10) -> None:
        """Wait until ``text`` has appeared on the terminal (the process still running)."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self._screen:
            assert time.monotonic() < deadline, f"{text!r} not on the terminal: {self._screen!r}"
            time.sleep(0.02)
