"""Every command that echoes an argument in its error message shows it as data: one line,
control characters escaped, markup literal, nothing of the argument lost, and the right exit
status. Run as the real process, on a pipe and with FORCE_COLOR (colour on)."""

import pytest

from netkit.render.escape import visible
from tests.render.hostile import raw_controls
from tests.support import run_netkit

# Markup, an OSC title change, a colour, a bidi override, and a byte that is not UTF-8 (it
# reaches netkit as a lone surrogate, as Python decodes argv).
HOSTILE = "[/x]\x1b]0;pw\x07\x1b[31m\u202e\udcff"

CASES = [
    (("conv", "ip", HOSTILE), 1),
    (("conv", "port", HOSTILE), 1),
    (("conv", "long", HOSTILE), 1),
    (("conv", "ip", "--from", HOSTILE, "1"), 2),
    (("resolve", HOSTILE), 1),
    (("resolve", "--modern", HOSTILE), 1),
    (("resolve", "--dns", "@127.0.0.1", "--port", "9", "--timeout", "0.2", HOSTILE), 1),
    (("listen", "tcp", "--host", HOSTILE), 1),
    (("listen", "unix", "--path", f"/nonexistent/{HOSTILE}"), 1),
    (("connect", "tcp", HOSTILE, "80"), 1),
    (("connect", "unix", HOSTILE), 1),
    (("bench", "unix", "-d", "0.3", HOSTILE), 1),
    (("ipc", "bench", "-k", HOSTILE), 2),
    (("conns", "--state", HOSTILE), 2),
    (("ifaces", HOSTILE), 1),
    (("completion", HOSTILE), 2),
    ((HOSTILE,), 2),
]


@pytest.mark.parametrize(
    ("args", "status"), CASES, ids=[" ".join(a[:2]).replace(HOSTILE, "HOSTILE") for a, _ in CASES]
)
@pytest.mark.parametrize("colour", [False, True], ids=["pipe", "FORCE_COLOR"])
def test_a_hostile_argument_is_echoed_as_data(
    args: tuple[str, ...], status: int, colour: bool
) -> None:
    env = {"FORCE_COLOR": "1", "NO_COLOR": ""} if colour else {}
    result = run_netkit(*args, env=env, timeout=20)
    assert result.returncode == status, result.stderr
    assert result.stderr.startswith("netkit: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert visible(HOSTILE) in result.stderr
    assert raw_controls(result.stdout + result.stderr, terminal=colour) == []
