"""`netkit scan` behind a real firewall (nftables, in a network namespace the test makes),
with nmap's connect scan (`nmap -sT`) on the same ports as the oracle of each port's state."""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.support import netkit_executable, require_tool

# Run inside `unshare -n`: a fresh network namespace with only lo, so the rules touch nothing
# of the host's. Ports: 7001 open, 7002 dropped, 7003 and 7004 rejected with an ICMP
# unreachable, 7005 rejected with a reset, 7006 nothing there.
IN_NAMESPACE = """
import json, socket, subprocess, sys
netkit, nft, nmap = sys.argv[1:4]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
rules = '''
table inet netkit_test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 7002 drop
    tcp dport 7003 reject with icmpx type admin-prohibited
    tcp dport 7004 reject with icmpx type host-unreachable
    tcp dport 7005 reject with tcp reset
  }
}
'''
subprocess.run([nft, "-f", "-"], input=rules, text=True, check=True, timeout=10)
with socket.create_server(("127.0.0.1", 7001)):
    ours = subprocess.run([netkit, "scan", "127.0.0.1", "7001-7006", "-w", "0.5", "--json"],
                          capture_output=True, text=True, timeout=30)
    theirs = subprocess.run([nmap, "-sT", "-Pn", "-n", "-p", "7001-7006", "--max-retries", "0",
                             "--host-timeout", "20s", "-oG", "-", "127.0.0.1"],
                            capture_output=True, text=True, timeout=60)
print(json.dumps({"ours": ours.stdout, "status": ours.returncode, "stderr": ours.stderr,
                  "theirs": theirs.stdout}))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace and nftables need root")
def test_port_states_behind_a_firewall_match_nmap() -> None:
    unshare, nft, nmap = require_tool("unshare"), require_tool("nft"), require_tool("nmap")
    done = subprocess.run(
        [unshare, "-n", sys.executable, "-c", IN_NAMESPACE, netkit_executable(), nft, nmap],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == 0, result["stderr"]
    ours = {row["port"]: row for row in json.loads(result["ours"])}
    theirs = dict(re.findall(r"(\d+)/(\w+)/tcp", result["theirs"]))
    assert {port: row["state"] for port, row in ours.items()} == {
        int(port): state for port, state in theirs.items()
    }
    assert [ours[port]["state"] for port in range(7001, 7007)] == [
        "open", "filtered", "filtered", "filtered", "closed", "closed",
    ]  # fmt: skip
    assert ours[7002]["time_ms"] == 500 and ours[7002]["error"] is None  # no answer at all
    assert ours[7003]["error"].startswith(("EHOSTUNREACH", "EACCES"))  # the reject's reason
    assert ours[7003]["time_ms"] < 500  # a reject answers at once
