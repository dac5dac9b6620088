"""Shared fixtures; the helpers themselves live in tests/support.py."""

import pytest

from tests.support import netkit_executable


@pytest.fixture(scope="session")
def netkit_exe() -> str:
    return netkit_executable()
