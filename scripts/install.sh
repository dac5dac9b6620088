#!/usr/bin/env bash
# Install netkit into a virtual environment of its own, link `netkit` into ~/.local/bin and its
# man pages into ~/.local/share/man/man1 (where man looks for a bin directory on PATH).
# NETKIT_HOME (default ~/.local/share/netkit) and NETKIT_BIN (default ~/.local/bin) move them;
# the man pages go to share/man/man1 beside NETKIT_BIN's parent.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
prefix=${NETKIT_HOME:-$HOME/.local/share/netkit}
bindir=${NETKIT_BIN:-$HOME/.local/bin}
mandir=$(dirname "$bindir")/share/man/man1
if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
  # Debian and Ubuntu ship the venv module in a package of its own.
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv "$prefix"
"$prefix/bin/python" -m pip install -q --disable-pip-version-check "$source_dir"
mkdir -p "$bindir" "$mandir"
ln -sf "$prefix/bin/netkit" "$bindir/netkit"
ln -sf "$prefix"/share/man/man1/netkit*.1 "$mandir/"
echo "installed: $("$bindir/netkit" --version) -> $bindir/netkit" >&2
