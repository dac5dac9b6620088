"""Compiling the generated programs: each distinct source once per session, warnings as errors."""

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import require_tool

Compile = Callable[..., Path]
CFLAGS = ["-Wall", "-Wextra", "-Werror", "-O2"]


@pytest.fixture(scope="session")
def _binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


@pytest.fixture(scope="session")
def _build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("showc")


@pytest.fixture
def compile_c(_binaries: dict[str, Path], _build_dir: Path) -> Compile:
    """compile_c(source, *extra_flags) -> the program, built with cc -Wall -Wextra -Werror.

    A source already built this session is not built again (several tests run one program)."""
    cc = require_tool("cc")

    def build(source: str, *extra: str) -> Path:
        key = hashlib.sha256((source + "\0" + " ".join(extra)).encode()).hexdigest()[:16]
        if key in _binaries:
            return _binaries[key]
        source_path = _build_dir / f"{key}.c"
        source_path.write_text(source)
        binary = _build_dir / key
        argv = [cc, *CFLAGS, *extra, "-o", str(binary), str(source_path)]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, f"cc failed:\n{result.stderr}\n--- source:\n{source}"
        _binaries[key] = binary
        return binary

    return build


def run_program(
    binary: Path, data: bytes = b"", timeout: float = 20
) -> subprocess.CompletedProcess[bytes]:
    """Run a generated program with ``data`` on stdin; stdout and stderr as bytes."""
    return subprocess.run(
        [str(binary)], input=data, capture_output=True, timeout=timeout, check=False
    )
