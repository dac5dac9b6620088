#!/usr/bin/env bash
# Install the Debian packages listed in scripts/system-packages.txt that are not installed yet.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t wanted < <(grep -v -e '^#' -e '^[[:space:]]*$' "$here/system-packages.txt")
missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# glibc's myhostname NSS module, unpacked but not installed (installing it would add itself to
# this host's /etc/nsswitch.conf): the --diagnose tests lay it over the library folder inside a
# mount namespace of their own. The folder is NSS_CACHE in tests/resolve/test_diagnose.py.
nss_cache=/var/cache/netkit-tests/nss
if [ ! -e "$nss_cache/libnss_myhostname.so.2" ] && [ -n "$(command -v dpkg-deb)" ] &&
  ! dpkg-query -W -f='${Status}' libnss-myhostname 2>/dev/null | grep -q "install ok installed"; then
  unpack=$(mktemp -d)
  if (cd "$unpack" && { apt-get download -qq libnss-myhostname 2>/dev/null ||
    { $sudo apt-get update -qq && apt-get download -qq libnss-myhostname; }; }); then
    dpkg-deb -x "$unpack"/libnss-myhostname_*.deb "$unpack/root"
    $sudo mkdir -p "$nss_cache"
    $sudo cp "$(find "$unpack/root" -name libnss_myhostname.so.2 | head -1)" "$nss_cache/"
  fi
  rm -rf "$unpack"
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}" >&2
$sudo apt-get update -qq
# Services that come with a package (nsd) must not start: the tests run their own instances.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy=1
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ -n "$created_policy" ]; then $sudo rm -f "$policy"; fi
