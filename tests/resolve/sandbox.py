"""Run netkit against resolver files of a test's own, in namespaces the test made.

The test starts this module under `unshare -n -m --propagation private`: a fresh network
namespace (only loopback, so NSD can take port 53 on 127.0.0.77 without meeting anything
real, and AI_ADDRCONFIG sees only the addresses given here) and a private mount namespace
(the bind mounts over /etc/hosts, /etc/resolv.conf and /etc/nsswitch.conf vanish with it;
the host's files are never written). It reads a JSON spec from the file named by argv[1]:

    {"mounts": {"/etc/hosts": "/tmp/.../hosts", ...},
     "addresses": ["192.0.2.200/24"],          # added to lo besides 127.0.0.1 and ::1
     "overlays": [["/var/cache/x", "/usr/lib/x86_64-linux-gnu"]],  # more files in a folder
     "nsd": [{"binary": ..., "directory": ..., "zones": {origin: text}, "address": ...}],
     "argv": [netkit, "resolve", "--diagnose", ...]}

and prints one JSON object: the returncode, stdout and stderr of argv.
"""

import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from tests.resolve.nsd import running_nsd

NSD_ADDRESS = "127.0.0.77"


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    for address in spec.get("addresses", []):
        subprocess.run(["ip", "addr", "add", address, "dev", "lo"], check=True, timeout=10)
    for lower, target in spec.get("overlays", []):  # the folder shows lower's files too
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower}:{target}",
                        target], check=True, timeout=10)  # fmt: skip
    for target, source in spec["mounts"].items():
        subprocess.run(["mount", "--bind", source, target], check=True, timeout=10)
    with ExitStack() as stack:
        for nsd in spec.get("nsd", []):
            directory, zones = Path(nsd["directory"]), nsd["zones"]
            address = nsd.get("address", NSD_ADDRESS)
            stack.enter_context(
                running_nsd(nsd["binary"], directory, zones, address=address, port=53)
            )
        done = subprocess.run(spec["argv"], capture_output=True, text=True, timeout=60, check=False)
    json.dump({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr},
              sys.stdout)  # fmt: skip


if __name__ == "__main__":
    main()
