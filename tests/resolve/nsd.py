"""Run NSD, the authoritative DNS server, on 127.0.0.1 with zones written at run time."""

import socket
import struct
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CONFIG = """\
server:
  ip-address: 127.0.0.1@{port}
  port: {port}
  username: ""
  chroot: ""
  database: ""
  zonesdir: "{directory}"
  pidfile: "{directory}/nsd.pid"
  xfrdfile: "{directory}/xfrd.state"
  zonelistfile: "{directory}/zone.list"
  server-count: 1
  verbosity: 1
  hide-version: yes
remote-control:
  control-enable: no
"""
ZONE_ENTRY = """\
zone:
  name: "{name}"
  zonefile: "{file}"
"""


@dataclass(frozen=True, slots=True)
class Nsd:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]


def free_udp_and_tcp_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (NSD binds both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free for both UDP and TCP")


def _answers(port: int) -> bool:
    """Whether something answers a DNS query for the root SOA on 127.0.0.1:port."""
    query = struct.pack("!HHHHHH", 0x4E4B, 0, 1, 0, 0, 0) + b"\x00\x00\x06\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.1)
        probe.sendto(query, ("127.0.0.1", port))
        try:
            return probe.recv(512)[:2] == query[:2]
        except OSError:
            return False


@contextmanager
def running_nsd(nsd: str, directory: Path, zones: Mapping[str, str]) -> Iterator[Nsd]:
    """Write zones (origin -> zone text) into directory, start NSD on them, stop it after."""
    port = free_udp_and_tcp_port()
    config = CONFIG.format(port=port, directory=directory)
    for origin, text in zones.items():
        file = f"{origin.strip('.') or 'root'}.zone"
        (directory / file).write_text(text)
        config += ZONE_ENTRY.format(name=origin, file=file)
    (directory / "nsd.conf").write_text(config)
    log = (directory / "nsd.log").open("wb")
    process = subprocess.Popen(
        [nsd, "-d", "-c", str(directory / "nsd.conf")], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nsd did not start: {(directory / 'nsd.log').read_text()}")
            time.sleep(0.05)
        yield Nsd(port, directory, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
