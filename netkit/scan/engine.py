"""`netkit scan`: a TCP connect scan of ports on hosts, with bounded concurrency.

One non-blocking connect per (host, port), at most ``concurrency`` sockets open at once, each
given ``timeout`` seconds: an accepted connection is open, a reset (ECONNREFUSED) closed, no answer
within the timeout filtered (a firewall dropping the SYN, or a listener whose backlog is full),
an ICMP unreachable from a rejecting firewall filtered too (as nmap counts it), with its reason,
and any other error is reported as such. The kernel does the handshake;
netkit waits on a selector (epoll on Linux) and closes every socket as soon as its state is known.

Optional probes of open ports (--banner, --tls) reconnect in worker threads, counted in the same
bound. Results come out in target order (host, then port) as soon as every earlier target is
done, so a large scan streams.
"""

import errno
import os
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, Literal

from netkit.scan.targets import Host

if TYPE_CHECKING:  # the probes' threads are loaded only when asked for
    from concurrent.futures import Future

    from netkit.threads import WorkerPool

State = Literal["open", "closed", "filtered", "error"]
# What connect() reports when a firewall rejects the SYN with an ICMP unreachable (host, network
# or administratively prohibited; a local output rule gives EPERM/EACCES). nmap calls such a
# port filtered: something stands between the scanner and the port.
REJECTED = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM})
BANNER_BYTES = 256


@dataclass(frozen=True, slots=True)
class PortResult:
    """One port on one host (the --json objects; field names are stable)."""

    host: str  # as given: a name, an address, or an address of a CIDR block
    address: str
    port: int
    state: State
    service: str | None  # the port's name in /etc/services, whatever its state
    time_ms: float  # from the connect to the answer (the timeout when filtered)
    error: str | None = None  # the reason, when state is "error" (or filtered by a reject)
    banner: str | None = None  # --banner: what the service sent first (bytes as UTF-8 with
    # surrogate escapes for anything else)
    tls_subject: str | None = None  # --tls: the certificate the port presented
    tls_not_after: str | None = None
    tls_days_left: int | None = None
    tls_error: str | None = None  # --tls: why no certificate could be read


@dataclass(frozen=True, slots=True)
class Probes:
    """What to ask open ports, on a second connection."""

    banner_wait: float | None = None  # --banner: seconds to wait for the first bytes
    tls: bool = False


def _service(port: int) -> str | None:
    try:
        return socket.getservbyport(port, "tcp")
    except OSError:
        return None


@dataclass(slots=True)
class _Attempt:
    index: int
    host: Host
    port: int
    sock: socket.socket
    started: float


class Scanner:
    """Connect scans in target order, at most ``concurrency`` sockets open at any moment."""

    # scan --explain: the class of the scan's sockets, and a hook that narrates what the
    # selector asks of the kernel. Plain sockets and no hook otherwise.
    socket_class: ClassVar[type[socket.socket]] = socket.socket
    watch_selector: ClassVar[Callable[[selectors.BaseSelector], None] | None] = None

    def __init__(
        self,
        hosts: Sequence[Host],
        ports: Sequence[int],
        *,
        concurrency: int,
        timeout: float,
        probes: Probes | None = None,
    ) -> None:
        self.targets = [(host, port) for host in hosts for port in ports]
        self.concurrency = concurrency
        self.timeout = timeout
        self.probes = probes or Probes()
        self.selector = selectors.DefaultSelector()
        if Scanner.watch_selector is not None:
            Scanner.watch_selector(self.selector)
        self.connecting: deque[_Attempt] = deque()  # in start order, which is deadline order
        self.slots: dict[int, PortResult | Future[PortResult]] = {}
        self.probing: set[Future[PortResult]] = set()  # each holds one socket
        self.next_target = 0
        self.workers: WorkerPool | None = None
        if self.probes.banner_wait is not None or self.probes.tls:
            from netkit import threads

            self.workers = threads.WorkerPool(max_workers=min(concurrency, 64))

    def results(self) -> Iterator[PortResult]:
        """Every target's result, in target order, each as soon as those before it are done."""
        emitted = 0
        try:
            while emitted < len(self.targets):
                self._start_more()
                self._wait()
                while emitted in self.slots and _ready(self.slots[emitted]):
                    yield _value(self.slots.pop(emitted))
                    emitted += 1
        finally:
            for attempt in self.connecting:
                attempt.sock.close()
            self.selector.close()
            if self.workers is not None:
                self.workers.shutdown(wait=True, cancel_futures=True)

    def in_flight(self) -> int:
        """Sockets open now: connecting, or held by a probe."""
        self.probing = {future for future in self.probing if not future.done()}
        return len(self.selector.get_map()) + len(self.probing)

    def _start_more(self) -> None:
        room = self.concurrency - self.in_flight()
        while room > 0 and self.next_target < len(self.targets):
            index = self.next_target
            self.next_target += 1
            host, port = self.targets[index]
            sock = self.socket_class(host.family, socket.SOCK_STREAM)
            sock.setblocking(False)
            started = time.monotonic()
            code = sock.connect_ex((host.address, port))
            if code == 0:
                code = _connect_outcome(sock)
            if code in (errno.EINPROGRESS, errno.EAGAIN):
                attempt = _Attempt(index, host, port, sock, started)
                self.selector.register(sock, selectors.EVENT_WRITE, attempt)
                self.connecting.append(attempt)
                room -= 1
            else:  # loopback answers at once: refused (or accepted) within connect()
                sock.close()
                self._finish(index, host, port, code, started)
                room -= self._finish_holds_a_socket(index)

    def _finish_holds_a_socket(self, index: int) -> int:
        slot = self.slots.get(index)
        return 0 if slot is None or isinstance(slot, PortResult) else 1

    def _wait(self) -> None:
        """Wait for connects to finish or time out; with none under way, for a probe."""
        if not self.connecting:
            if self.probing:
                from concurrent.futures import FIRST_COMPLETED, wait

                from netkit.threads import WAIT_SLICE

                # In slices, like netkit.threads.future_result: a Ctrl-C is not kept waiting.
                wait(self.probing, WAIT_SLICE, return_when=FIRST_COMPLETED)
            return
        deadline = self.connecting[0].started + self.timeout
        timeout = max(0.0, deadline - time.monotonic())
        if self.probing:
            timeout = min(timeout, 0.01)  # the output may be waiting on a probe
        for key, _ in self.selector.select(timeout):
            attempt: _Attempt = key.data
            self.selector.unregister(attempt.sock)
            code = _connect_outcome(attempt.sock)
            attempt.sock.close()
            self._finish(attempt.index, attempt.host, attempt.port, code, attempt.started)
        now = time.monotonic()
        while self.connecting and (
            self.connecting[0].index in self.slots
            or self.connecting[0].started + self.timeout <= now
        ):
            attempt = self.connecting.popleft()
            if attempt.index not in self.slots:  # no answer within the timeout: filtered
                self.selector.unregister(attempt.sock)
                attempt.sock.close()
                self._finish(attempt.index, attempt.host, attempt.port, None, attempt.started)

    def _finish(self, index: int, host: Host, port: int, code: int | None, started: float) -> None:
        elapsed = round((time.monotonic() - started) * 1000, 3)
        # The port's name in /etc/services whatever its state, as nmap names it: a closed
        # "ssh" says more than a closed 22.
        service = _service(port)
        if code is None:
            result = PortResult(host.name, host.address, port, "filtered", service,
                                round(self.timeout * 1000, 3))  # fmt: skip
        elif code == 0:
            result = PortResult(host.name, host.address, port, "open", service, elapsed)
        elif code == errno.ECONNREFUSED:
            result = PortResult(host.name, host.address, port, "closed", service, elapsed)
        else:
            reason = f"{errno.errorcode.get(code, code)}: {os.strerror(code)}"
            state: State = "filtered" if code in REJECTED else "error"
            result = PortResult(host.name, host.address, port, state, service, elapsed, reason)
        if result.state == "open" and self.workers is not None:
            future = self.workers.submit(_probe, result, host, self.probes, self.timeout)
            self.probing.add(future)
            self.slots[index] = future
        else:
            self.slots[index] = result


def _connect_outcome(sock: socket.socket) -> int:
    """0 when connected, else the errno. A connection to a port of this host from the same port
    (TCP simultaneous open: the kernel picked the scanned port as the ephemeral one) is no
    listener, and counts as refused."""
    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code == 0:
        try:
            if sock.getsockname() == sock.getpeername():
                return errno.ECONNREFUSED
        except OSError as error:
            return error.errno or errno.ECONNRESET
    return code


def _ready(slot: "PortResult | Future[PortResult]") -> bool:
    return isinstance(slot, PortResult) or slot.done()


def _value(slot: "PortResult | Future[PortResult]") -> PortResult:
    return slot if isinstance(slot, PortResult) else slot.result()


def _probe(result: PortResult, host: Host, probes: Probes, timeout: float) -> PortResult:
    """Reconnect to an open port: read its banner, or read its certificate."""
    if probes.banner_wait is not None:
        result = replace(result, banner=_banner(host, result.port, probes.banner_wait, timeout))
    if probes.tls:
        result = _tls_probe(result, host, timeout)
    return result


def _banner(host: Host, port: int, wait: float, timeout: float) -> str | None:
    try:
        with socket.create_connection((host.address, port), timeout=timeout) as sock:
            sock.settimeout(wait)
            data = sock.recv(BANNER_BYTES)
    except OSError:
        return None
    return data.decode("utf-8", "surrogateescape") if data else None


def _tls_probe(result: PortResult, host: Host, timeout: float) -> PortResult:
    import datetime
    import ssl

    from netkit.tls.certificate import describe_certificate
    from netkit.tls.client import sent_chain

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    name = None if host.name == host.address or "/" in host.name else host.name
    try:
        with socket.create_connection((host.address, result.port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=name) as tls:  # fmt: skip
            chain = sent_chain(tls)
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", None) or error.strerror or str(error)
        return replace(result, tls_error=str(reason))
    if not chain:
        return replace(result, tls_error="no certificate")
    leaf = describe_certificate(chain[0], datetime.datetime.now(datetime.UTC))
    return replace(result, tls_subject=leaf.subject, tls_not_after=leaf.not_after,
                   tls_days_left=leaf.days_left)  # fmt: skip
