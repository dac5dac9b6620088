"""`netkit listen tcp|udp|unix --mux DESIGN ... --show-c`: the echo server in C, in the I/O
design asked for: blocking, thread, select, poll, epoll (Linux) or kqueue (BSD, macOS)."""

from dataclasses import dataclass
from typing import Literal

from netkit.errors import NetkitUsageError
from netkit.showc import listen_designs as designs
from netkit.showc.cstring import c_string
from netkit.showc.program import (
    ERROR_HELPERS,
    SET_NONBLOCKING,
    WRITE_ALL,
    Header,
    assemble,
    render,
)

Design = Literal["blocking", "thread", "select", "poll", "epoll", "kqueue"]
DESIGNS: tuple[Design, ...] = ("blocking", "thread", "select", "poll", "epoll", "kqueue")


@dataclass(frozen=True, slots=True)
class ListenSpec:
    """What netkit listen was given that the C program needs."""

    transport: Literal["tcp", "udp", "unix"]
    mux: Design  # a concrete design: the CLI resolves --mux auto before asking
    host: str = "127.0.0.1"
    port: int = 5566
    path: str = "/tmp/echo.sock"
    backlog: int = 4096

    def command(self) -> list[str]:
        words = ["netkit", "listen", self.transport, "--mux", self.mux]
        if self.transport == "unix":
            words += ["--path", self.path]
        else:
            words += ["--host", self.host, "--port", str(self.port)]
        return words + (["--backlog", str(self.backlog)] if self.transport != "udp" else [])


_SIGNALS = r"""
static volatile sig_atomic_t stopping = 0;

static void on_stop_signal(int sig) {
  (void)sig;
  stopping = 1; /* all a handler may safely do: set a flag the loop checks */
}

/* SIGINT and SIGTERM stop the server cleanly. The handler is installed without SA_RESTART, so
 * a blocking call the signal interrupts (accept, recv, poll, ...) fails with EINTR and the
 * loop sees the flag; with SA_RESTART the call would resume and the server would notice only at
 * the next client. (A signal that lands between the check and the call is seen one event late:
 * ppoll() or a self-pipe closes that gap, at some length.) SIGPIPE is ignored: a send to a
 * client that has gone then fails with EPIPE instead of killing the server. */
static void handle_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_stop_signal;
  if (sigemptyset(&sa.sa_mask) < 0) die("sigemptyset");
  if (sigaction(SIGINT, &sa, NULL) < 0) die("sigaction(SIGINT)");
  if (sigaction(SIGTERM, &sa, NULL) < 0) die("sigaction(SIGTERM)");
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) die("signal(SIGPIPE)");
}
"""

_OPEN_INET = r"""
/* getaddrinfo() with AI_PASSIVE gives the address to bind: HOST may be a name, an IPv4 or an
 * IPv6 address (or "::" and "0.0.0.0" for every interface). The first answer is used. */
static int open_listener(void) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = ${socktype};
  hints.ai_flags = AI_PASSIVE;
  struct addrinfo *res;
  int rc = getaddrinfo(HOST, PORT, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "getaddrinfo(%s): %s\n", HOST,
            rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    exit(1);
  }
  int s = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (s < 0) die("socket");
${options}
  if (bind(s, res->ai_addr, res->ai_addrlen) < 0) die("bind");
  freeaddrinfo(res);
${listen}
  return s;
}

/* The readiness line netkit prints, with the port the kernel picked when PORT is 0. */
static void announce(int s) {
  struct sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  if (getsockname(s, (struct sockaddr *)&addr, &len) < 0) die("getsockname");
  char host[NI_MAXHOST], port[NI_MAXSERV];
  int rc = getnameinfo((struct sockaddr *)&addr, len, host, sizeof(host), port, sizeof(port),
                       NI_NUMERICHOST | NI_NUMERICSERV);
  if (rc != 0) {
    fprintf(stderr, "getnameinfo: %s\n", gai_strerror(rc));
    exit(1);
  }
  if (addr.ss_family == AF_INET6)
    fprintf(stderr, "listening on ${transport} [%s]:%s (%s)\n", host, port, DESIGN);
  else
    fprintf(stderr, "listening on ${transport} %s:%s (%s)\n", host, port, DESIGN);
}
"""

_REUSEADDR = r"""
  /* SO_REUSEADDR: a restarted server can bind the port at once, although connections of its
   * previous run still wait out TIME_WAIT on it. Not for UDP, where it would let two servers
   * share the port without a word. */
  int on = 1;
  if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
    die("setsockopt(SO_REUSEADDR)");""".lstrip("\n")

_DUAL_STACK = r"""
  /* "::" with IPV6_V6ONLY off takes IPv4 clients too, as ::ffff:a.b.c.d (dual stack). */
  int off = 0;
  if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0)
    die("setsockopt(IPV6_V6ONLY)");""".lstrip("\n")

_LISTEN = r"""
  /* The backlog bounds the connections the kernel completes before accept() takes them (the
   * kernel caps it at net.core.somaxconn). */
  if (listen(s, BACKLOG) < 0) die("listen");""".lstrip("\n")

_OPEN_UNIX = r"""
static struct sockaddr_un addr;
static socklen_t addr_len;

/* sockaddr_un holds the name (${where}); the length passed to bind() covers exactly its
 * bytes. */
static void make_address(void) {
  static const char name[] = SOCKET_PATH;
  size_t name_len = sizeof(name) - 1;
  if (name_len + 1 > sizeof(addr.sun_path)) {
    fprintf(stderr, "socket path too long: %zu bytes, sun_path holds %zu\n", name_len,
            sizeof(addr.sun_path) - 1);
    exit(1);
  }
  addr.sun_family = AF_UNIX;
${fill}
}
${stale}
static int open_listener(void) {
  make_address();${remove_stale}
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0) die("socket");
  if (bind(s, (struct sockaddr *)&addr, addr_len) < 0) die("bind");
${listen}
  return s;
}

/* The readiness line netkit prints. */
static void announce(int s) {
  (void)s;
  fprintf(stderr, "listening on unix %s (%s)\n", SOCKET_PATH_SHOWN, DESIGN);
}
"""

_FILL_PATH = r"""
  memcpy(addr.sun_path, name, name_len + 1);
  addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len + 1);""".lstrip("\n")

_FILL_ABSTRACT = r"""
  /* An abstract name: sun_path starts with a NUL, the name follows with no NUL of its own,
   * and its length is part of the name. */
  addr.sun_path[0] = '\0';
  memcpy(addr.sun_path + 1, name, name_len);
  addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + name_len);""".lstrip("\n")

_STALE = r"""
/* A socket file left by a server that is gone makes bind() fail with EADDRINUSE; the
 * reference unlink()s the path blindly, which would also delete a live server's socket or any
 * file of that name. Remove it only if it is a socket and connecting to it is refused, as
 * netkit does; anything else is left for bind() to report. */
static void remove_stale_socket(void) {
  struct stat st;
  if (lstat(addr.sun_path, &st) < 0) {
    if (errno == ENOENT) return;
    die("lstat");
  }
  if (!S_ISSOCK(st.st_mode)) return;
  int probe = socket(AF_UNIX, SOCK_STREAM, 0);
  if (probe < 0) die("socket");
  int refused = connect(probe, (struct sockaddr *)&addr, addr_len) < 0 && errno == ECONNREFUSED;
  if (close(probe) < 0) die("close");
  if (refused && unlink(addr.sun_path) < 0) die("unlink");
}
"""

_TUNE_TCP = r"""
/* TCP_NODELAY: send each echo at once instead of holding small writes back while earlier data
 * is unacknowledged (Nagle's algorithm), which would add a delay to every small round trip. */
static void tune_client(int c) {
  int on = 1;
  if (setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0)
    report("setsockopt(TCP_NODELAY)");
}
"""

_TUNE_UNIX = r"""
/* Nothing to tune on a Unix socket: there is no Nagle delay to turn off. */
static void tune_client(int c) { (void)c; }
"""

_MAIN = r"""
int main(void) {
  handle_signals();
  int s = open_listener();
  announce(s);
  serve(s);
  if (close(s) < 0) die("close");${cleanup}
  return 0;
}
"""

_STREAM_DESIGNS = {
    "blocking": designs.ECHO_CLIENT + designs.BLOCKING,
    "thread": designs.ECHO_CLIENT + designs.THREAD,
    "select": designs.CONNECTION + designs.SELECT,
    "poll": designs.CONNECTION + designs.POLL,
    "epoll": designs.CONNECTION + designs.EPOLL,
    "kqueue": designs.CONNECTION + designs.KQUEUE,
}
_UDP_DESIGNS = {
    "blocking": designs.UDP_ECHO + designs.UDP_BLOCKING,
    "select": designs.UDP_ECHO + designs.UDP_SELECT,
    "poll": designs.UDP_ECHO + designs.UDP_POLL,
    "epoll": designs.UDP_ECHO + designs.UDP_EPOLL,
    "kqueue": designs.UDP_ECHO + designs.UDP_KQUEUE,
}
_DESIGN_HEADERS = {
    "thread": ["pthread.h", "stdint.h"],
    "select": ["sys/select.h"],
    "epoll": ["stdint.h", "sys/epoll.h"],
    "kqueue": ["sys/event.h"],
}
# Where a design exists, said in the program so that it fails clearly elsewhere.
_GUARDS = {
    "epoll": '#ifndef __linux__\n#error "epoll exists only on Linux: use the poll design"\n#endif',
    "kqueue": "#if !defined(__APPLE__) && !defined(__FreeBSD__) && !defined(__OpenBSD__) && "
    '!defined(__NetBSD__) && !defined(__DragonFly__)\n#error "kqueue exists only on the BSDs '
    'and macOS: use the poll design"\n#endif',
}
_HEADERS = ["errno.h", "fcntl.h", "poll.h", "signal.h", "stddef.h", "stdio.h", "stdlib.h"]
_HEADERS += ["string.h", "unistd.h", "sys/socket.h"]


def _defines(spec: ListenSpec) -> str:
    lines = [f"#define DESIGN {c_string(spec.mux)}"]
    if spec.transport == "unix":
        name = spec.path[1:] if spec.path.startswith("@") else spec.path
        lines += [f"#define SOCKET_PATH {c_string(name)}"]
        lines += [f"#define SOCKET_PATH_SHOWN {c_string(spec.path)}"]
    else:
        host = spec.host[1:-1] if spec.host.startswith("[") else spec.host
        lines += [f"#define HOST {c_string(host)}", f"#define PORT {c_string(str(spec.port))}"]
    if spec.transport != "udp":
        lines.append(f"#define BACKLOG {spec.backlog}")
    return "\n".join(lines)


def _opening(spec: ListenSpec) -> tuple[str, list[str]]:
    """open_listener() and announce() for the transport, and the headers they need."""
    if spec.transport != "unix":
        stream = spec.transport == "tcp"
        options = [_REUSEADDR] if stream else []
        options += [_DUAL_STACK] if spec.host.strip("[]") == "::" else []
        code = render(
            _OPEN_INET,
            socktype="SOCK_STREAM" if stream else "SOCK_DGRAM",
            options="\n".join(options),
            listen=_LISTEN if stream else "",
            transport=spec.transport,
        )
        tune = _TUNE_TCP if stream else ""
        return code + tune, ["netdb.h", "netinet/in.h", "netinet/tcp.h"]
    abstract = spec.path.startswith("@")
    code = render(
        _OPEN_UNIX,
        where="Linux's abstract namespace: no file" if abstract else "a file in the file system",
        fill=_FILL_ABSTRACT if abstract else _FILL_PATH,
        stale="" if abstract else _STALE,
        remove_stale="" if abstract else "\n  remove_stale_socket();",
        listen=_LISTEN,
    )
    if abstract:
        code = _GUARDS["epoll"].replace("epoll", "abstract socket names (@name)", 1) + code
    return code + _TUNE_UNIX, ["sys/stat.h", "sys/un.h"]


def listen_program(spec: ListenSpec) -> str:
    """The echo server for a netkit listen invocation."""
    if spec.transport == "udp" and spec.mux == "thread":
        raise NetkitUsageError("--mux thread needs connections and UDP has none")
    if spec.mux not in DESIGNS:
        raise NetkitUsageError(f"--show-c needs a concrete --mux, one of {', '.join(DESIGNS)}")
    opening, transport_headers = _opening(spec)
    serving = (_UDP_DESIGNS if spec.transport == "udp" else _STREAM_DESIGNS)[spec.mux]
    cleanup = ""
    if spec.transport == "unix" and not spec.path.startswith("@"):
        cleanup = (
            '\n  if (unlink(SOCKET_PATH) < 0) die("unlink"); /* the file outlives the socket */'
        )
    blocking_calls = spec.mux in ("blocking", "thread")
    # Each program carries only the helpers it calls (-Wall warns of an unused static one).
    helpers = [] if spec.transport == "udp" else [WRITE_ALL] if blocking_calls else []
    helpers += [] if blocking_calls else [SET_NONBLOCKING]
    parts = [_GUARDS.get(spec.mux, ""), ERROR_HELPERS, *helpers, _SIGNALS]
    parts += [_defines(spec), opening, serving, render(_MAIN, cleanup=cleanup)]
    headers = [*_HEADERS, *transport_headers, *_DESIGN_HEADERS.get(spec.mux, [])]
    return assemble(_header(spec), headers, *(p for p in parts if p))


_TRANSPORT_TITLES = {"tcp": "TCP", "udp": "UDP", "unix": "Unix stream"}
_DESIGN_ABOUT = {
    "blocking": "The blocking design is the iterative server: one client at a time, served to "
    "the end with blocking calls before the next accept().",
    "thread": "The thread design starts one thread per client, each running blocking calls: "
    "simple code, at the cost of a stack per client and the scheduler's work.",
    "select": "The select design is one thread with non-blocking sockets: select() waits on "
    "every descriptor at once. It rebuilds its sets for each call, scans all of them, and "
    "cannot watch a descriptor at or above FD_SETSIZE (1024).",
    "poll": "The poll design is one thread with non-blocking sockets: poll() waits on an "
    "array of descriptors, with no FD_SETSIZE limit, but scans the whole array on every call.",
    "epoll": "The epoll design (Linux) is one thread with non-blocking sockets: the kernel "
    "keeps the interest list, and epoll_wait() returns only the ready descriptors, so its "
    "cost follows the traffic rather than the number of clients.",
    "kqueue": "The kqueue design (BSD, macOS) is one thread with non-blocking sockets: the "
    "kernel keeps a read and a write filter per descriptor, and kevent() returns only what is "
    "ready. It compiles only where kqueue exists.",
}
_ECHO_ABOUT = {
    "stream": "Every byte a client sends comes back in order. The event loops echo at once and "
    "keep only what the kernel did not take (a partial write) in a per-connection buffer, "
    "sent when the socket is writable; reading from a client pauses while 256 KiB of its "
    "echo wait. When a client half-closes (shutdown SHUT_WR), the rest of its echo is still "
    "sent, and only then is the connection closed.",
    "udp": "Every datagram goes back to its sender as it came, whole. UDP has no connections, "
    "so there is one socket and no per-client state.",
}


def _header(spec: ListenSpec) -> Header:
    name = f"listen-{spec.transport}-{spec.mux}"
    kind = "udp" if spec.transport == "udp" else "stream"
    return Header(
        title=f"{_TRANSPORT_TITLES[spec.transport]} echo server, {spec.mux} design",
        command=spec.command(),
        name=name,
        about=[_DESIGN_ABOUT[spec.mux], _ECHO_ABOUT[kind]],
        pthread=spec.mux == "thread",
    )
