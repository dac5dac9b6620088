"""Pass an open file to a child over a Unix socket (SCM_RIGHTS) and read the kernel's peer
credentials on both ends (SO_PEERCRED)."""

import array
import os
import socket
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from netkit.errors import NetkitError
from netkit.ipc.child import Child, Mailbox, forked
from netkit.ipc.demos import crash_if_asked, finish_demo, merged_steps, print_line
from netkit.ipc.steps import Step, StepLog

DEFAULT_CONTENT = "Hello from a file the parent opened"
# struct ucred from <sys/socket.h>: pid_t pid; uid_t uid; gid_t gid.
_UCRED = struct.Struct("=iII")
_FD = array.array("i").itemsize
_READ_SIZE = 1 << 16
_MAX_FILE_BYTES = 1 << 20  # the child stops there: a demo, not cat
_PREVIEW_CHARS = 200
_CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class PeerCredentials:
    """What SO_PEERCRED reported on one end: the process at the other end, per the kernel."""

    seen_by: str  # "parent" or "child"
    pid: int
    uid: int
    gid: int


@dataclass(frozen=True, slots=True)
class FdPassResult:
    """The descriptor's number on each side, what the child read through it, and who is who."""

    demo: str  # "fdpass"
    child_line: str
    file: str | None  # the path the parent opened, None for its nameless temporary file
    parent_fd: int  # the file's descriptor in the parent
    child_fd: int  # the descriptor the kernel installed in the child
    bytes_read: int
    parent_pid: int
    child_pid: int
    child_exit_code: int
    uid: int
    gid: int
    credentials: tuple[PeerCredentials, ...]
    steps: tuple[Step, ...]


def _peer_credentials(sock: socket.socket, seen_by: str) -> PeerCredentials:
    pid, uid, gid = _UCRED.unpack(
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    )
    return PeerCredentials(seen_by, pid, uid, gid)


def _credentials_text(creds: PeerCredentials) -> str:
    return f"pid={creds.pid} uid={creds.uid} gid={creds.gid}"


def _open_file(path: Path | None) -> int:
    """The descriptor to pass: the user's file, or a file with no name that only it reaches."""
    if path is not None:
        try:
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as error:
            raise NetkitError(f"cannot open {path}: {error.strerror}") from None
    try:  # Linux's O_TMPFILE: a file that never has a directory entry
        fd = os.open(tempfile.gettempdir(), os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except (AttributeError, OSError):  # elsewhere, or a file system without it: unlink at once
        fd, name = tempfile.mkstemp()
        os.unlink(name)
    os.write(fd, DEFAULT_CONTENT.encode() + b"\n")
    os.lseek(fd, 0, os.SEEK_SET)  # the child shares this open file description, offset included
    return fd


def _receive_fd(sock: socket.socket) -> tuple[bytes, int | None]:
    """recvmsg() one byte and at most one descriptor from its SCM_RIGHTS control message."""
    data, ancillary, _flags, _addr = sock.recvmsg(1, socket.CMSG_SPACE(_FD))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % _FD])
            for extra in fds[1:]:  # never leak descriptors a peer pushed on us
                os.close(extra)
            return data, fds[0] if fds else None
    return data, None


def run_fdpass(  # noqa: PLR0915  # the demo reads top to bottom in the order the calls happen
    path: Path | None = None, *, child_stdout: int | None = 1, fault: str | None = None
) -> FdPassResult:
    """A listening Unix socket, fork(); the child connects, the parent opens the file only then
    (so the child cannot have inherited it) and sends it with SCM_RIGHTS; the child reads it."""
    log = StepLog("parent")
    # Linux's abstract namespace: no file to clean up, gone when the socket closes.
    address = f"\0netkit-fdpass-{os.getpid()}"
    shown = "@" + address[1:]
    t = log.now()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(1)
    l_fd = listener.fileno()
    log.add(t, f'socket(AF_UNIX, SOCK_STREAM) + bind("{shown}") + listen()', f"fd {l_fd}")

    def child_main(mailbox: Mailbox) -> int:
        clog = StepLog("child", mailbox)
        crash_if_asked(fault)
        t = clog.now()
        listener.close()
        clog.add(t, f"close({l_fd})", "0: the listener is the parent's")
        t = clog.now()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address)
        clog.add(t, f'socket() + connect("{shown}")', f"fd {sock.fileno()}")
        creds = _peer_credentials(sock, "child")
        clog.add(clog.now(), f"getsockopt({sock.fileno()}, SO_PEERCRED)", _credentials_text(creds))
        clog.publish(peer=[creds.pid, creds.uid, creds.gid])
        data, fd = _receive_fd(sock)
        received = "no descriptor" if fd is None else f"SCM_RIGHTS: fd {fd}"
        clog.add(clog.now(), f"recvmsg({sock.fileno()})", f"{len(data)} byte + {received}")
        if fd is None:
            raise NetkitError("the parent's message carried no descriptor")
        content = bytearray()
        while len(content) < _MAX_FILE_BYTES and (chunk := os.read(fd, _READ_SIZE)):
            content += chunk
            clog.add(clog.now(), f"read({fd})", f"{len(chunk)} bytes")
        if len(content) < _MAX_FILE_BYTES:
            clog.add(clog.now(), f"read({fd})", "0: EOF")
        first = content.decode(errors="replace").splitlines()[0] if content else ""
        line = f"Child read through fd {fd} (passed with SCM_RIGHTS): {first[:_PREVIEW_CHARS]}"
        clog.publish(fd=fd, bytes_read=len(content), line=print_line(child_stdout, line))
        t = clog.now()
        os.close(fd)
        sock.close()
        clog.add(t, f"close({fd}), close(socket)", "0")
        clog.add(clog.now(), "_exit(0)", "")
        return 0

    with listener:
        t = log.now()
        with forked(child_main) as child:
            log.add(t, "fork()", f"{child.pid} (the child's pid)")
            conn = _accept_child(listener, child)
            log.add(log.now(), f"accept({l_fd})", f"fd {conn.fileno()}")
            with conn:
                t = log.now()
                listener.close()
                log.add(t, f"close({l_fd})", "0")
                peer = _peer_credentials(conn, "parent")
                call = f"getsockopt({conn.fileno()}, SO_PEERCRED)"
                log.add(log.now(), call, _credentials_text(peer))
                t = log.now()
                file_fd = _open_file(path)
                what = "O_TMPFILE: a file with no name" if path is None else f'"{path}", O_RDONLY'
                log.add(t, f"open({what})", f"fd {file_fd}")
                try:
                    t = log.now()
                    conn.sendmsg(
                        [b"F"],
                        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [file_fd]))],
                    )
                    call = f"sendmsg({conn.fileno()}, 1 byte, SCM_RIGHTS [fd {file_fd}])"
                    log.add(t, call, "1")
                except OSError as error:  # EPIPE or ECONNRESET: the child is gone
                    raise child.failure(f"sendmsg failed ({error.strerror})") from None
                finally:
                    t = log.now()
                    os.close(file_fd)
                    log.add(t, f"close({file_fd})", "0: the message in flight holds the file")
                status = finish_demo(child, log, "the fdpass demo failed")
            report, steps = child.mailbox.get(), merged_steps(log, child)
    pid, uid, gid = _ints(report.get("peer"), 3)
    return FdPassResult(
        demo="fdpass",
        child_line=str(report.get("line", "")),
        file=None if path is None else str(path),
        parent_fd=file_fd,
        child_fd=_ints([report.get("fd")], 1)[0],
        bytes_read=_ints([report.get("bytes_read")], 1)[0],
        parent_pid=log.pid,
        child_pid=child.pid,
        child_exit_code=status,
        uid=os.getuid(),
        gid=os.getgid(),
        credentials=(peer, PeerCredentials("child", pid, uid, gid)),
        steps=steps,
    )


def _accept_child(listener: socket.socket, child: Child) -> socket.socket:
    """accept(), but give up at once if the child died before connecting."""
    listener.settimeout(0.05)
    for _ in range(int(_CONNECT_TIMEOUT / 0.05)):
        try:
            conn, _ = listener.accept()
            conn.setblocking(True)
            return conn
        except TimeoutError:
            if child.poll() is not None:
                raise child.failure("the child never connected") from None
    raise child.failure("the child did not connect within 10 s")


def _ints(values: object, count: int) -> list[int]:
    """Integers the child reported (JSON), or -1 where it left none."""
    items = values if isinstance(values, list) else []
    return [v if isinstance(v, int) else -1 for v in items[:count]] + [-1] * (count - len(items))
