"""ipc --explain: the demos' steps in the narration's form (the records every --explain writes),
safe on a terminal whatever the message, and the same steps as the JSON document's."""

import json

import pytest

from tests.render.hostile import assert_safe
from tests.support import run_netkit

FIELDS = ["t", "call", "args", "result", "errno", "meaning", "tcp_state"]


@pytest.mark.parametrize("demo", [["pipe"], ["socketpair"], ["fdpass"]])
def test_narration_is_the_step_log(demo: list[str]) -> None:
    done = run_netkit("ipc", *demo, "--explain", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    calls = [json.loads(line) for line in done.stderr.splitlines()]
    assert all(list(call) == FIELDS for call in calls)
    assert len(calls) == len(document["steps"])
    for call, step in zip(calls, document["steps"], strict=True):
        assert step["call"].startswith(call["call"])
        assert call["meaning"].startswith(f"{step['actor']} {step['pid']}")
        assert call["t"] == pytest.approx(step["t_us"] / 1e6, abs=1e-6)
    times = [call["t"] for call in calls]
    assert times == sorted(times)


def test_socketpair_calls_in_c_form() -> None:
    done = run_netkit("ipc", "socketpair", "--explain", "--json", "-m", "ping", "-r", "pong")
    calls = [json.loads(line) for line in done.stderr.splitlines()]
    first = calls[0]
    assert (first["call"], first["args"], first["result"]) == (
        "socketpair",
        ["AF_UNIX", "SOCK_STREAM", "0", "sv"],
        0,
    )
    writes = [call for call in calls if call["call"] == "write"]
    assert [w["args"][1:] for w in writes] == [['"ping\\0"', "5"], ['"pong\\0"', "5"]]
    assert [w["result"] for w in writes] == [5, 5]


def test_text_narration_replaces_the_table_and_escapes_the_message() -> None:
    done = run_netkit("ipc", "pipe", "--explain", "-m", "\x1b]0;owned\x07\u202eevil")
    assert done.returncode == 0, done.stderr
    assert "who did what" not in done.stdout  # no table: the narration took its place
    lines = done.stderr.splitlines()
    assert lines[0].startswith("+0.000000  pipe(")
    assert_safe(done.stderr)
    assert any("\\x1b]0;owned\\x07" in line for line in lines)


def test_show_c_and_explain_exclude_each_other() -> None:
    assert run_netkit("ipc", "pipe", "--show-c", "--explain").returncode == 2
