"""Which process holds each socket, read from /proc as ``ss -p`` reads it (Linux).

The kernel's socket tables know a socket's inode but not its processes: a socket belongs to
whoever holds a descriptor for it, and descriptors are only visible in /proc/PID/fd, where each
socket descriptor is a symbolic link to ``socket:[INODE]``. So every process's fd directory is
read once and the links are turned into one map from inode to (pid, fd). Without root the fd
directories of other users' processes cannot be read: their sockets stay without an owner.
"""

import os
import pwd
from functools import cache
from typing import NamedTuple


class SocketOwner(NamedTuple):
    """A process descriptor that holds a socket (a NamedTuple: one is made per socket)."""

    pid: int
    fd: int


def socket_owners(proc: str = "/proc") -> dict[int, SocketOwner]:
    """inode -> the first (lowest pid, lowest fd) process descriptor holding that socket.

    This is the one loop of a listing that runs once per descriptor of the host, so it is kept
    to a readlink (relative to the open fd directory: half the cost of a full path) and a
    string test per descriptor.
    """
    owners: dict[int, SocketOwner] = {}
    readlink, make = os.readlink, tuple.__new__  # tuple.__new__: no Python-level __new__ call
    for name in sorted(os.listdir(proc), key=lambda n: (len(n), n)):
        if not name.isdigit():
            continue
        try:
            directory = os.open(f"{proc}/{name}/fd", os.O_RDONLY | os.O_DIRECTORY)
        except OSError:  # not ours to read, or the process has exited
            continue
        try:
            pid = int(name)
            for fd in os.listdir(directory):
                try:
                    target = readlink(fd, dir_fd=directory)
                except OSError:  # closed since the listing
                    continue
                if target.startswith("socket:["):
                    inode = int(target[8:-1])
                    held = owners.get(inode)
                    if held is None or (held.pid == pid and int(fd) < held.fd):
                        owners[inode] = make(SocketOwner, (pid, int(fd)))
        except OSError:
            continue
        finally:
            os.close(directory)
    return owners


def process_name(pid: int, proc: str = "/proc") -> str | None:
    """The name ``ps -o comm`` and psutil show; None when the process has gone.

    The kernel keeps only 15 bytes of it (TASK_COMM_LEN); like psutil, a truncated name is
    completed from the command line when that starts with it.
    """
    try:
        with open(f"{proc}/{pid}/comm", "rb") as file:
            comm = os.fsdecode(file.read().rstrip(b"\n"))
    except OSError:
        return None
    if len(comm) >= 15:
        try:
            with open(f"{proc}/{pid}/cmdline", "rb") as file:
                first = os.fsdecode(file.read().split(b"\0", 1)[0])
        except OSError:
            return comm
        base = os.path.basename(first)
        if base.startswith(comm):
            return base
    return comm


@cache
def user_name(uid: int) -> str:
    """The login name of ``uid``, or the number when the passwd database has none (as ss)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
