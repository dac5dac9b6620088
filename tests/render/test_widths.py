"""Tables never split a value, however narrow the terminal: each is laid out at its natural
width and a line wider than the terminal is left whole (the terminal wraps it, as with ss)."""

import json

import pytest

from tests.support import run_netkit

LONG = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff/64"


@pytest.mark.parametrize("columns", ["60", "80", "200"])
@pytest.mark.parametrize("colour", [False, True], ids=["pipe", "FORCE_COLOR"])
def test_no_value_is_folded(columns: str, colour: bool) -> None:
    args = ("conv", "ip", LONG, "::ffff:192.0.2.1", "4294967295", "10.0.0.1/8")
    env = {"COLUMNS": columns, **({"FORCE_COLOR": "1", "NO_COLOR": ""} if colour else {})}
    table = run_netkit(*args, env=env).stdout
    rows = json.loads(run_netkit(*args, "--json").stdout)
    values = [
        str(value)
        for row in rows
        for key in ("input", "canonical", "integer_hex", "kind")
        if (value := row[key]) is not None
    ]
    for value in values:
        assert value in table, f"{value!r} is not whole in:\n{table}"


@pytest.mark.parametrize("columns", ["40", "80"])
def test_interface_names_macs_and_counters_stay_whole(columns: str) -> None:
    table = run_netkit("ifaces", env={"COLUMNS": columns}).stdout
    for interface in json.loads(run_netkit("ifaces", "--json").stdout):
        assert interface["name"] in table
        assert str(interface["mtu"]) in table
        if interface["mac"]:
            assert interface["mac"] in table
