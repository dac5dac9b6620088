"""`netkit connect tcp|udp|unix ... --show-c`: the nc-style client in C.

Stdin goes to the socket and the socket to stdout, with poll() waiting on both, as netkit's
client does: a stream connection is half-closed when stdin ends and read until the peer closes;
a UDP client sends one datagram per read and waits for replies.
"""

from dataclasses import dataclass
from typing import Literal

from netkit.errors import NetkitUsageError
from netkit.showc.cstring import c_string
from netkit.showc.program import (
    ERROR_HELPERS,
    SET_NONBLOCKING,
    WRITE_ALL,
    Header,
    assemble,
    render,
)

UDP_DEFAULT_WAIT_MS = 2000  # netkit connect udp waits this long for replies after stdin ends

_HEADERS = ["errno.h", "fcntl.h", "poll.h", "signal.h", "stddef.h", "stdio.h", "stdlib.h"]
_HEADERS += ["string.h", "unistd.h", "sys/socket.h"]

_CONNECT = r"""
/* Connect s without blocking, so that the wait can have a timeout (nc -w) and no signal can
 * leave it half done. connect() on a non-blocking socket starts the handshake and answers
 * EINPROGRESS (or EINTR: the handshake goes on regardless); poll() waits until the socket is
 * writable, which is when the handshake has ended, and SO_ERROR says how it ended. Returns 0
 * when connected, or -1 with errno set. */
static int connect_nonblocking(int s, const struct sockaddr *addr, socklen_t len, int timeout_ms) {
  if (connect(s, addr, len) == 0) return 0;
  if (errno != EINPROGRESS && errno != EINTR) return -1;
  struct pollfd p = {.fd = s, .events = POLLOUT};
  for (;;) {
    int n = poll(&p, 1, timeout_ms);
    if (n > 0) break;
    if (n == 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    if (errno != EINTR) return -1;
  }
  int error = 0;
  socklen_t error_len = sizeof(error);
  if (getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &error_len) < 0) return -1;
  if (error != 0) {
    errno = error;
    return -1;
  }
  return 0;
}
"""

_OPEN_INET = r"""
/* getaddrinfo() may return several addresses (IPv6 and IPv4, several hosts behind one name):
 * try each in order until one connects, as nc does, and say why each failed. */
static int open_connection(void) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = ${family};
  hints.ai_socktype = ${socktype};
  struct addrinfo *res;
  int rc = getaddrinfo(HOST, PORT, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "getaddrinfo(%s): %s\n", HOST,
            rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    exit(1);
  }
  int s = -1;
  for (struct addrinfo *p = res; p != NULL && s < 0; p = p->ai_next) {
    char where[NI_MAXHOST];
    if (getnameinfo(p->ai_addr, p->ai_addrlen, where, sizeof(where), NULL, 0,
                    NI_NUMERICHOST) != 0)
      strcpy(where, "?");
    s = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
    if (s < 0) {
      fprintf(stderr, "socket(%s): %s\n", where, strerror(errno));
      continue;
    }
    set_nonblocking(s);
    if (connect_nonblocking(s, p->ai_addr, p->ai_addrlen, TIMEOUT_MS) < 0) {
      fprintf(stderr, "connect to %s port %s: %s\n", where, PORT, strerror(errno));
      if (close(s) < 0) die("close");
      s = -1;
    }
  }
  freeaddrinfo(res);
  if (s < 0) exit(1);
  return s;
}
"""

_OPEN_UNIX = r"""
/* A Unix socket address is a path in sockaddr_un.sun_path (${where}). The length
 * passed to connect() covers exactly the bytes of the name. */
static int open_connection(void) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  static const char name[] = SOCKET_PATH;
  size_t name_len = sizeof(name) - 1;
  if (name_len + 1 > sizeof(addr.sun_path)) {
    fprintf(stderr, "socket path too long: %zu bytes, sun_path holds %zu\n", name_len,
            sizeof(addr.sun_path) - 1);
    exit(1);
  }
${fill}
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0) die("socket");
  set_nonblocking(s);
  if (connect_nonblocking(s, (struct sockaddr *)&addr, len, TIMEOUT_MS) < 0) {
    fprintf(stderr, "connect to %s: %s\n", SOCKET_PATH_SHOWN, strerror(errno));
    exit(1);
  }
  return s;
}
"""

_FILL_PATH = r"""
  memcpy(addr.sun_path, name, name_len + 1);
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len + 1);""".lstrip(
    "\n"
)

# Linux's abstract namespace: the name starts with a NUL byte and is not a file at all.
_FILL_ABSTRACT = r"""
  /* An abstract name: sun_path starts with a NUL and the name follows, with no NUL of its
   * own; its length is part of the name, so it must be exact. */
  addr.sun_path[0] = '\0';
  memcpy(addr.sun_path + 1, name, name_len);
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + name_len);""".lstrip(
    "\n"
)

_RELAY_STREAM = r"""
#define CHUNK 65536

/* Send what the socket takes now of data: returns how many bytes it took (0 when its buffer
 * is full, EAGAIN, or a signal came first, EINTR). The rest waits for POLLOUT. */
static size_t send_some(int s, const char *data, size_t len) {
  ssize_t n = send(s, data, len, 0);
  if (n >= 0) return (size_t)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  die("send");
  return 0;
}

/* The session: stdin to the socket, the socket to stdout, poll() waiting on both at once so
 * that neither direction waits for the other. Stdin is read only when the last chunk has
 * been sent: the socket's own buffer is the queue, and a slow peer slows the reader down
 * instead of filling memory. When stdin ends, shutdown(SHUT_WR) sends FIN: the peer reads end
 * of file, yet this side keeps reading until the peer closes too (a half-close), so a reply
 * sent after the peer saw EOF still arrives. Closing the socket instead would lose it. */
static void relay(int s) {
  static char from_stdin[CHUNK], from_peer[CHUNK];
  size_t pending_at = 0, pending_len = 0; /* read from stdin, not yet taken by the socket */
  int input_open = 1;
  for (;;) {
    struct pollfd fds[2] = {
        {.fd = s, .events = POLLIN | (pending_len > 0 ? POLLOUT : 0)},
        /* poll() ignores a negative descriptor: stdin is watched only when it is wanted. */
        {.fd = input_open && pending_len == 0 ? STDIN_FILENO : -1, .events = POLLIN},
    };
    int ready = poll(fds, 2, TIMEOUT_MS);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) die("poll");
    if (ready == 0) {
      fprintf(stderr, "no data for %d ms: closing\n", TIMEOUT_MS);
      return;
    }
    /* POLLHUP and POLLERR come without being asked for: recv() then says what happened. */
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(s, from_peer, sizeof(from_peer), 0);
      if (n == 0) return; /* the peer closed its side: everything has arrived */
      if (n > 0 && write_all(STDOUT_FILENO, from_peer, (size_t)n) < 0) die("write(stdout)");
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) die("recv");
    }
    if (pending_len > 0 && (fds[0].revents & POLLOUT)) {
      size_t sent = send_some(s, from_stdin + pending_at, pending_len);
      pending_at += sent;
      pending_len -= sent;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
      ssize_t n = read(STDIN_FILENO, from_stdin, sizeof(from_stdin));
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n < 0 && errno != EBADF) die("read(stdin)"); /* EBADF: stdin closed, as if empty */
      if (n > 0) {
        /* Send at once what the socket takes; keep only the rest (a partial send). */
        pending_at = send_some(s, from_stdin, (size_t)n);
        pending_len = (size_t)n - pending_at;
      } else {
        input_open = 0;
        ${at_eof}
      }
    }
  }
}
"""

_HALF_CLOSE = (
    r"""if (shutdown(s, SHUT_WR) < 0) die("shutdown(SHUT_WR)"); /* FIN: the peer reads EOF */"""
)
_NO_HALF_CLOSE = (
    r"""/* --no-half-close: no FIN; keep reading until the peer closes or the timeout. */"""
)

_RELAY_DATAGRAMS = r"""
#define MAX_DATAGRAM 65507 /* 65535 - 8 (UDP header) - 20 (IPv4 header) */

/* Send one datagram: it goes whole or not at all, so there is no partial send to finish, but
 * the send buffer may be full for a moment (EAGAIN): then wait until it is writable. */
static void send_datagram(int s, const char *data, size_t len) {
  while (send(s, data, len, 0) < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd p = {.fd = s, .events = POLLOUT};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) die("poll");
    } else if (errno != EINTR) {
      die("send");
    }
  }
}

/* UDP has no connection and no end of stream: each read() from stdin becomes one datagram,
 * each datagram that arrives goes to stdout. The socket is connect()ed, which only fixes
 * the peer: send() needs no address, replies from anyone else are dropped by the kernel, and
 * an ICMP port unreachable comes back as ECONNREFUSED on a later call. Once stdin ends,
 * replies are awaited for WAIT_MS after the last one, since none may ever come. */
static void relay(int s) {
  static char buf[MAX_DATAGRAM + 1];
  int input_open = 1;
  for (;;) {
    struct pollfd fds[2] = {
        {.fd = s, .events = POLLIN},
        {.fd = input_open ? STDIN_FILENO : -1, .events = POLLIN},
    };
    int ready = poll(fds, 2, input_open ? TIMEOUT_MS : WAIT_MS);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) die("poll");
    if (ready == 0) return; /* nothing more within the timeout */
    if (fds[0].revents & (POLLIN | POLLERR)) {
      ssize_t n = recv(s, buf, sizeof(buf), 0);
      if (n < 0 && errno == ECONNREFUSED) {
        fprintf(stderr, "%s port %s (udp): connection refused\n", HOST, PORT);
        exit(1);
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) die("recv");
      if (n >= 0 && write_all(STDOUT_FILENO, buf, (size_t)n) < 0) die("write(stdout)");
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
      ssize_t n = read(STDIN_FILENO, buf, MAX_DATAGRAM);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n < 0 && errno != EBADF) die("read(stdin)");
      if (n > 0) send_datagram(s, buf, (size_t)n);
      else input_open = 0;
    }
  }
}
"""

_MAIN = r"""
int main(void) {
  /* A write to a socket the peer has closed raises SIGPIPE, which kills the process without a
   * word. Ignored, the write fails with EPIPE instead and is reported like any other error. */
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) die("signal(SIGPIPE)");
  int s = open_connection();
  relay(s);
  if (close(s) < 0) die("close");
  return 0;
}
"""


@dataclass(frozen=True, slots=True)
class ConnectTarget:
    """What netkit connect was given: where to, and the options that change the program."""

    transport: Literal["tcp", "udp", "unix"]
    host: str = ""
    port: str = ""
    path: str = ""
    family: Literal["4", "6"] | None = None
    timeout: float | None = None  # -w SECONDS
    half_close: bool = True  # False: --no-half-close

    def command(self) -> list[str]:
        words = ["netkit", "connect", self.transport]
        words += [self.path] if self.transport == "unix" else [self.host, self.port]
        words += [f"-{self.family}"] if self.family else []
        words += ["--timeout", f"{self.timeout:g}"] if self.timeout is not None else []
        return words + ([] if self.half_close else ["--no-half-close"])


def _timeout_ms(target: ConnectTarget) -> int:
    if target.timeout is None:
        return -1
    return max(1, round(target.timeout * 1000))


def _defines(target: ConnectTarget) -> str:
    lines = [
        "/* -w: how long to wait for the connection, and for data either way once connected",
        " * (-1: no limit). */",
        f"#define TIMEOUT_MS {_timeout_ms(target)}",
    ]
    if target.transport == "unix":
        name = target.path[1:] if target.path.startswith("@") else target.path
        lines.append(f"#define SOCKET_PATH {c_string(name)}")
        lines.append(f"#define SOCKET_PATH_SHOWN {c_string(target.path)}")
        return "\n".join(lines)
    lines.append(f"#define HOST {c_string(_strip_brackets(target.host))}")
    lines.append(f"#define PORT {c_string(target.port)}")
    if target.transport == "udp":
        wait = UDP_DEFAULT_WAIT_MS if target.timeout is None else _timeout_ms(target)
        lines.append("/* How long to wait for replies after stdin ended. */")
        lines.append(f"#define WAIT_MS {wait}")
    return "\n".join(lines)


def _strip_brackets(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _open_unix(path: str) -> str:
    if path.startswith("@"):
        guard = (
            '#ifndef __linux__\n#error "abstract socket names (@name) exist only on Linux"\n#endif'
        )
        where = "Linux's abstract namespace: no file at all"
        return guard + "\n" + render(_OPEN_UNIX, where=where, fill=_FILL_ABSTRACT)
    return render(_OPEN_UNIX, where="a file in the file system", fill=_FILL_PATH)


def connect_program(target: ConnectTarget) -> str:
    """The client for a netkit connect invocation."""
    if target.transport == "unix" and not target.path:
        raise NetkitUsageError("--show-c needs the socket path")
    if target.transport != "unix" and not (target.host and target.port):
        raise NetkitUsageError("--show-c needs a host and a port")
    family = {None: "AF_UNSPEC", "4": "AF_INET", "6": "AF_INET6"}[target.family]
    if target.transport == "unix":
        opening, headers = _open_unix(target.path), [*_HEADERS, "sys/un.h"]
    else:
        socktype = "SOCK_STREAM" if target.transport == "tcp" else "SOCK_DGRAM"
        opening = render(_OPEN_INET, family=family, socktype=socktype)
        headers = [*_HEADERS, "netdb.h"]
    if target.transport == "udp":
        relay = _RELAY_DATAGRAMS
    else:
        relay = render(_RELAY_STREAM, at_eof=_HALF_CLOSE if target.half_close else _NO_HALF_CLOSE)
    parts = [ERROR_HELPERS, WRITE_ALL, SET_NONBLOCKING, _defines(target), _CONNECT, opening]
    return assemble(_header(target), headers, *parts, relay, _MAIN)


_ABOUT = {
    "tcp": "A TCP client like nc: it connects to the first address of the name that answers, "
    "sends what it reads from stdin and writes what arrives to stdout, both at once. When "
    "stdin ends it half-closes the connection (shutdown SHUT_WR) and reads until the server "
    "closes, so a reply the server sends after seeing end of file is not lost.",
    "udp": "A UDP client like nc -u: every read from stdin is sent as one datagram, every "
    "datagram that comes back is written to stdout. UDP has no end of stream, so once stdin "
    "ends the client waits a while for replies, then exits.",
    "unix": "A Unix domain stream client like nc -U: the same session as over TCP (stdin to "
    "the socket, the socket to stdout, half-close when stdin ends), with a path instead of a "
    "host and port.",
}


def _header(target: ConnectTarget) -> Header:
    titles = {"tcp": "TCP client", "udp": "UDP client", "unix": "Unix stream client"}
    run = "./connect-" + target.transport + " < request > reply"
    return Header(
        title=titles[target.transport] + ", stdin to the socket and the socket to stdout",
        command=target.command(),
        name="connect-" + target.transport,
        about=[_ABOUT[target.transport]],
        run=run,
    )
