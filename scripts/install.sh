#!/usr/bin/env bash
# Install netkit into a virtual environment of its own and link `netkit` into ~/.local/bin.
# NETKIT_HOME (default ~/.local/share/netkit) and NETKIT_BIN (default ~/.local/bin) move them.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
prefix=${NETKIT_HOME:-$HOME/.local/share/netkit}
bindir=${NETKIT_BIN:-$HOME/.local/bin}
if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
  # Debian and Ubuntu ship the venv module in a package of its own.
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv "$prefix"
"$prefix/bin/python" -m pip install -q --disable-pip-version-check "$source_dir"
mkdir -p "$bindir"
ln -sf "$prefix/bin/netkit" "$bindir/netkit"
echo "installed: $("$bindir/netkit" --version) -> $bindir/netkit" >&2
