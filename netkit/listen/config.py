"""What the user asked the listener to do, as one immutable value."""

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:  # ipaddress is imported where addresses are parsed, not by `netkit --help`
    import ipaddress
    import ssl

Transport = Literal["tcp", "udp", "unix"]
Network: TypeAlias = "ipaddress.IPv4Network | ipaddress.IPv6Network"

DEFAULT_PORT = 5566  # the socket reference's port
DEFAULT_UNIX_PATH = "/tmp/echo.sock"  # the socket reference's path
READ_BUFFER_SIZE = 65536  # one recv_into; below glibc's 128 KiB mmap threshold either way
OUTPUT_BUFFER_LIMIT = 256 * 1024  # per connection: reading pauses while this much is unsent


class Behaviour(Enum):
    """What the server does with the bytes it receives."""

    ECHO = "echo"
    DISCARD = "discard"
    PRINT = "print"


@dataclass(frozen=True, slots=True)
class ListenConfig:
    transport: Transport
    mux: str = "auto"
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    path: str = DEFAULT_UNIX_PATH
    socket_mode: int | None = None  # chmod of the Unix socket file
    backlog: int = 4096
    behaviour: Behaviour = Behaviour.ECHO
    max_conns: int | None = None
    idle_timeout: float | None = None
    allow: tuple[Network, ...] = ()
    deny: tuple[Network, ...] = ()
    once: bool = False
    output_limit: int = OUTPUT_BUFFER_LIMIT
    tls: "ssl.SSLContext | None" = None  # --tls: every connection is a TLS server session
    peer_input_fd: int | None = None  # --print: this descriptor's bytes go to every peer
    exec_argv: tuple[str, ...] = ()  # --exec/--sh-exec: a process per client (netkit.listen.exec)
