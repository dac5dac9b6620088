"""Print the SHORT OPTIONS section of netkit(1) from the click definitions (--write: put it into
netkit/docs/pages/netkit.md and the README's table; then run scripts/regen-docs.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from netkit.cli import cli  # after the path set-up above
from netkit.docs.short_options import section, write_readme, write_section

if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        changed = [write_section(cli), write_readme(cli)]
        print("updated" if any(changed) else "already up to date")
    else:
        sys.stdout.write(section(cli))
