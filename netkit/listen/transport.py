"""Opening the listening socket for each transport, with one-line errors for every way it fails."""

import errno
import os
import socket
import stat
import sys
from dataclasses import dataclass

from netkit.errors import NetkitError, NetkitUsageError
from netkit.listen.config import ListenConfig
from netkit.listen.events import Listening

# sockaddr_un.sun_path is 108 bytes on Linux (104 on the BSDs), including the final NUL.
SUN_PATH_MAX = (104 if sys.platform == "darwin" or "bsd" in sys.platform else 108) - 1


@dataclass(slots=True)
class BoundSocket:
    """The listening (or, for UDP, receiving) socket and how to name it."""

    sock: socket.socket
    address: str
    unix_path: str | None = None  # a socket file to remove at exit
    unix_identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the file we created

    def listening(self, transport: str, mux: str) -> Listening:
        """The readiness record: the address as one string and as its parts."""
        if transport == "unix":
            return Listening(transport, self.address, mux, path=self.address)
        host, port = self.sock.getsockname()[:2]
        return Listening(transport, self.address, mux, host=str(host), port=int(port))

    def close(self) -> None:
        self.sock.close()
        if self.unix_path is None or self.unix_identity is None:
            return
        # Remove the file only if it is still the socket we bound, never a replacement.
        try:
            info = os.lstat(self.unix_path)
        except OSError:
            return
        if (info.st_dev, info.st_ino) == self.unix_identity and stat.S_ISSOCK(info.st_mode):
            os.unlink(self.unix_path)


def format_inet(address: tuple[object, ...]) -> str:
    host, port = str(address[0]), address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def format_peer(address: object) -> str:
    """A peer as text: host:port, [v6]:port, or the Unix path (usually unnamed)."""
    if isinstance(address, tuple):
        return format_inet(address)
    if isinstance(address, bytes):
        address = address.decode(errors="replace")
    return str(address) or "unix-peer"


def raise_open_files_limit(at_most: int | None = None) -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (or to ``at_most`` if that is lower), as
    servers do: how many connections a listener can hold, or the load generator can open,
    depends on it. The one place netkit (and its tests) change the limit.

    It never lowers the limit and never fails (macOS, for one, refuses more than OPEN_MAX):
    returns the soft limit in force afterwards, sys.maxsize where there is none."""
    try:
        import resource
    except ImportError:  # no resource limits on this system
        return sys.maxsize
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return sys.maxsize
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if at_most is not None:
        target = min(target, at_most)
    if soft >= target:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        return soft
    return target


def open_socket(
    config: ListenConfig, socket_class: type[socket.socket] = socket.socket
) -> BoundSocket:
    """Bind (and listen on) the socket ``config`` asks for, made of ``socket_class`` (a
    narrating subclass under --explain)."""
    if config.transport == "unix":
        return _open_unix(config, socket_class)
    return _open_inet(config, socket_class)


def _open_inet(config: ListenConfig, socket_class: type[socket.socket]) -> BoundSocket:
    kind = socket.SOCK_STREAM if config.transport == "tcp" else socket.SOCK_DGRAM
    host = (
        config.host[1:-1]
        if config.host.startswith("[") and config.host.endswith("]")
        else config.host
    )
    try:
        infos = socket.getaddrinfo(host, config.port, socket.AF_UNSPEC, kind, 0, socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise NetkitError(f"cannot listen on host {config.host!r}: {error.strerror}") from None
    except UnicodeError:  # the IDNA codec refuses the name before any lookup
        raise NetkitError(f"cannot listen on host {config.host!r}: not a valid host name") from None
    family, _, proto, _, sockaddr = infos[0]
    sock = socket_class(family, kind, proto)
    try:
        if kind == socket.SOCK_STREAM:
            # TIME_WAIT from an earlier run must not block a restart. Not for UDP: there it
            # would let two servers share the port silently.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and host == "::":
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # dual stack on ::
        try:
            sock.bind(sockaddr)
        except OSError as error:
            raise NetkitError(_bind_message(error, config, format_inet(sockaddr))) from None
        if kind == socket.SOCK_STREAM:
            sock.listen(config.backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return BoundSocket(sock, format_inet(sock.getsockname()))


def _bind_message(error: OSError, config: ListenConfig, where: str) -> str:
    if error.errno == errno.EADDRINUSE and config.port == 0:
        return f"no free {config.transport} port on {config.host} (the ephemeral range is used up)"
    if error.errno == errno.EADDRINUSE:
        return f"{config.transport} port {config.port} is already in use on {config.host}"
    if error.errno == errno.EACCES:
        hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" if config.port < 1024 else ""
        return f"permission denied binding {config.transport} {where}{hint}"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {config.host}: no interface on this host has that address"
    return f"cannot bind {config.transport} {where}: {error.strerror}"


def _open_unix(config: ListenConfig, socket_class: type[socket.socket]) -> BoundSocket:  # noqa: PLR0912  # each case of an existing path
    if not hasattr(socket, "AF_UNIX"):
        raise NetkitError("Unix domain sockets are not available on this system")
    path = config.path
    abstract = path.startswith("@")
    if abstract and not sys.platform.startswith("linux"):
        raise NetkitUsageError("abstract socket names (@name) exist only on Linux")
    if abstract and config.socket_mode is not None:
        raise NetkitUsageError("--mode applies to socket files; an abstract name has no file")
    raw = os.fsencode(path)
    if len(raw) > SUN_PATH_MAX:
        raise NetkitError(
            f"socket path is {len(raw)} bytes long; sun_path allows at most {SUN_PATH_MAX}: {path}"
        )
    if not raw:
        raise NetkitUsageError("the socket path is empty")
    if not abstract:
        _clear_stale_socket(path)
    sock = socket_class(socket.AF_UNIX, socket.SOCK_STREAM)
    bound = False
    try:
        try:
            sock.bind(b"\0" + raw[1:] if abstract else path)
            bound = True
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise NetkitError(f"{path} is in use by another server") from None
            if error.errno == errno.EACCES:
                raise NetkitError(f"permission denied creating socket {path}") from None
            raise NetkitError(f"cannot bind {path}: {error.strerror}") from None
        identity = None
        if not abstract:
            info = os.lstat(path)
            identity = (info.st_dev, info.st_ino)
            if config.socket_mode is not None:
                os.chmod(path, config.socket_mode)
        sock.listen(config.backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        if bound and not abstract:
            os.unlink(path)
        raise
    return BoundSocket(sock, path, None if abstract else path, identity)


def _clear_stale_socket(path: str) -> None:
    """A socket file nobody listens on is removed; a live one or anything else is refused."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        kind = (
            "a symbolic link"
            if stat.S_ISLNK(info.st_mode)
            else "a directory"
            if stat.S_ISDIR(info.st_mode)
            else "a regular file"
            if stat.S_ISREG(info.st_mode)
            else "not a socket"
        )
        raise NetkitError(f"{path} exists and is {kind}; refusing to replace it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1)
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)  # stale: left behind by a server that died
        return
    except OSError as error:
        if error.errno == errno.EPROTOTYPE:  # bound by a datagram or seqpacket socket
            raise NetkitError(f"{path} is in use by a server of another socket type") from None
        raise NetkitError(f"cannot check existing socket {path}: {error.strerror}") from None
    finally:
        probe.close()
    raise NetkitError(f"{path} is in use by a running server")
