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
  ip-address: {address}@{port}
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
  # Response rate limiting would answer a fast batch with TC=1 "slips" (correctly sent on
  # over TCP by netkit, but tests and benchmarks want the plain path).
  rrl-ratelimit: 0
{server_options}remote-control:
  control-enable: no
"""
TLS_CONFIG = """\
server:
  ip-address: 127.0.0.1@{tls_port}
  tls-port: {tls_port}
  tls-service-key: "{key}"
  tls-service-pem: "{pem}"
"""
# Zone transfers are allowed to loopback clients: the tests compare netkit's AXFR with dig's.
ZONE_ENTRY = """\
zone:
  name: "{name}"
  zonefile: "{file}"
  provide-xfr: 127.0.0.0/8 NOKEY
  provide-xfr: ::1 NOKEY
"""


@dataclass(frozen=True, slots=True)
class Nsd:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]
    tls_port: int | None = None


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


def _answers(port: int, address: str = "127.0.0.1") -> bool:
    """Whether something answers a DNS query for the root SOA on address:port."""
    query = struct.pack("!HHHHHH", 0x4E4B, 0, 1, 0, 0, 0) + b"\x00\x00\x06\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.1)
        probe.sendto(query, (address, port))
        try:
            return probe.recv(512)[:2] == query[:2]
        except OSError:
            return False


def _listening(port: int, address: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex((address, port)) == 0


@contextmanager
def running_nsd(  # noqa: PLR0913  # the keyword-only settings of one NSD instance
    nsd: str,
    directory: Path,
    zones: Mapping[str, str],
    tls: tuple[Path, Path] | None = None,
    *,
    address: str = "127.0.0.1",
    port: int | None = None,
    server_options: str = "",
) -> Iterator[Nsd]:
    """Write zones (origin -> zone text) into directory, start NSD on them, stop it after.

    With tls (key file, certificate file) NSD also serves DNS over TLS on a port of its own.
    NSD listens on address (another 127.0.0.0/8 address lets several servers share port 53)
    at port (a free one when None); server_options are more lines for its server: clause
    (indented two spaces), such as nsid or answer-cookie.
    """
    port = port or free_udp_and_tcp_port()
    # The extra lines belong to the server: clause, before remote-control: opens its own.
    config = CONFIG.format(
        address=address, port=port, directory=directory, server_options=server_options
    )
    tls_port = None
    if tls is not None:
        tls_port = free_udp_and_tcp_port()
        config += TLS_CONFIG.format(tls_port=tls_port, key=tls[0], pem=tls[1])
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
        while not _answers(port, address) or (tls_port is not None and not _listening(tls_port)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nsd did not start: {(directory / 'nsd.log').read_text()}")
            time.sleep(0.05)
        yield Nsd(port, directory, process, tls_port)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
