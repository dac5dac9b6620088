"""`netkit resolve --legacy|--modern NAME --show-c`: gethostbyname() or getaddrinfo() in C,
printing what netkit prints, in the same order."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from netkit.errors import NetkitUsageError
from netkit.resolve.names import InvalidNameError, host_name
from netkit.showc.cstring import c_string
from netkit.showc.program import ERROR_HELPERS, Header, assemble, render

_NAMES = r"""
/* The names from the command line, an internationalized one in its A-label form
 * (xn--...), which is what the resolver is asked. */
static const char *const names[] = {
${names}
};

int main(void) {
  int status = 0;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (show(names[i]) < 0) status = 1;
  }
  /* Output is buffered: an error writing it (a full disk, a closed pipe) shows up here. */
  if (fflush(stdout) == EOF) die("fflush(stdout)");
  return status;
}
"""

_LEGACY = r"""
/* gethostbyname() fills one static struct hostent (so it is not thread-safe) and reports
 * failure through h_errno, not errno: hstrerror() turns it into text. The addresses are
 * IPv4 only (h_addrtype AF_INET, h_length 4); getaddrinfo() is its modern replacement. */
static int show(const char *name) {
  struct hostent *h = gethostbyname(name);
  if (h == NULL) {
    fprintf(stderr, "gethostbyname(%s): %s\n", name, hstrerror(h_errno));
    return -1;
  }
  if (h->h_addrtype != AF_INET) {
    fprintf(stderr, "gethostbyname(%s): not IPv4 addresses\n", name);
    return -1;
  }
  if (printf("Host: %s\n", h->h_name) < 0) die("printf");
  for (char **alias = h->h_aliases; *alias != NULL; alias++) {
    if (printf("alias: %s\n", *alias) < 0) die("printf");
  }
  /* h_addr_list is a NULL-terminated list of addresses in network byte order. inet_ntop()
   * writes one as text; unlike the reference's inet_ntoa() it uses no static buffer. */
  for (char **address = h->h_addr_list; *address != NULL; address++) {
    char ip[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, *address, ip, sizeof(ip)) == NULL) die("inet_ntop");
    if (printf("IP: %s\n", ip) < 0) die("printf");
  }
  return 0;
}
"""

_MODERN = r"""
static const char *family_name(int family) {
  switch (family) {
  case AF_INET: return "IPv4";
  case AF_INET6: return "IPv6";
  default: return "other";
  }
}

static const char *socktype_name(int socktype) {
  switch (socktype) {
  case SOCK_STREAM: return "stream";
  case SOCK_DGRAM: return "dgram";
  case SOCK_RAW: return "raw";
  default: return "other";
  }
}

/* The protocol numbers getaddrinfo() hands back, by their /etc/protocols names. */
static const char *protocol_name(int protocol) {
  switch (protocol) {
  case 0: return "ip";
  case IPPROTO_TCP: return "tcp";
  case IPPROTO_UDP: return "udp";
  default: return "other";
  }
}

/* One struct addrinfo a line, as netkit's table has it: family, socket type, protocol,
 * address, port, and for IPv6 the flow label and scope id. */
static void show_one(const struct addrinfo *p) {
  char ip[INET6_ADDRSTRLEN];
  const void *address;
  unsigned port;
  if (p->ai_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)p->ai_addr;
    address = &in6->sin6_addr;
    port = ntohs(in6->sin6_port);
  } else {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)(const void *)p->ai_addr;
    address = &in4->sin_addr;
    port = ntohs(in4->sin_port);
  }
  if (inet_ntop(p->ai_family, address, ip, sizeof(ip)) == NULL) die("inet_ntop");
  int rc = printf("%s  %s  %s  %s  %u", family_name(p->ai_family),
                  socktype_name(p->ai_socktype), protocol_name(p->ai_protocol), ip, port);
  if (rc >= 0 && p->ai_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)p->ai_addr;
    rc = printf("  flowinfo %lu  scope id %lu", (unsigned long)ntohl(in6->sin6_flowinfo),
                (unsigned long)in6->sin6_scope_id);
  }
  if (rc < 0 || putchar('\n') == EOF) die("printf");
}

/* getaddrinfo() returns a list of ready-to-use socket addresses, or an EAI_* code that
 * gai_strerror() explains (errno only matters for EAI_SYSTEM). AI_CANONNAME asks for the
 * canonical name, which the first entry carries. The list must be freed. */
static int show(const char *name) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = ${family};
  hints.ai_socktype = ${socktype};
  hints.ai_flags = ${flags};
  struct addrinfo *res;
  int rc = getaddrinfo(name, ${service}, &hints, &res);
  if (rc != 0) {
    const char *reason = rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
    fprintf(stderr, "getaddrinfo(%s): %s\n", name, reason);
    return -1;
  }
  if (printf("getaddrinfo(%s)", name) < 0) die("printf");
  if (res->ai_canonname != NULL && printf(": canonical name %s", res->ai_canonname) < 0)
    die("printf");
  if (putchar('\n') == EOF) die("printf");
  for (const struct addrinfo *p = res; p != NULL; p = p->ai_next) show_one(p);
  freeaddrinfo(res);
  return 0;
}
"""

_HEADERS = ["errno.h", "stdio.h", "stdlib.h", "string.h", "arpa/inet.h", "netdb.h"]
_HEADERS += ["netinet/in.h", "sys/socket.h"]


def _asked(name: str) -> str:
    """The name as netkit asks the resolver: an internationalized one in its IDNA 2008 A-label
    form (the C library does not convert it); one netkit refuses is passed on as given, for the
    resolver to refuse."""
    try:
        return host_name(name).ascii
    except InvalidNameError:
        return name


def _names(names: Sequence[str]) -> str:
    if not names:
        raise NetkitUsageError("--show-c needs at least one name")
    return ",\n".join(f"    {c_string(_asked(name))}" for name in names)


def legacy_program(names: Sequence[str]) -> str:
    """gethostbyname() of each name: Host, then its aliases, then each IP (netkit's order)."""
    header = Header(
        title="gethostbyname(): the legacy IPv4 lookup",
        command=["netkit", "resolve", "--legacy", *names],
        name="gethostbyname",
        about=[
            "gethostbyname() asks the system resolver (/etc/hosts, DNS, as nsswitch.conf says) "
            "for a name's IPv4 addresses. It is obsolete (removed in POSIX.1-2008) and not "
            "thread-safe, but still common in old code; netkit resolve --legacy shows the same "
            "struct hostent: the canonical name, the aliases, the addresses."
        ],
    )
    main = _LEGACY + render(_NAMES, names=_names(names))
    return assemble(header, _HEADERS, ERROR_HELPERS, main)


@dataclass(frozen=True, slots=True)
class AddrinfoHints:
    """The hints of netkit resolve --modern: -4/-6, --service, --socktype, --addrconfig."""

    family: Literal["4", "6"] | None = None
    service: str | None = None
    socktype: Literal["stream", "dgram", "raw", "any"] = "stream"
    addrconfig: bool = False

    def options(self) -> list[str]:
        """The command-line options that give these hints."""
        words = [f"-{self.family}"] if self.family else []
        words += ["--service", self.service] if self.service is not None else []
        words += ["--socktype", self.socktype] if self.socktype != "stream" else []
        return words + (["--addrconfig"] if self.addrconfig else [])


_FAMILIES = {None: "AF_UNSPEC", "4": "AF_INET", "6": "AF_INET6"}
_SOCKTYPES = {"stream": "SOCK_STREAM", "dgram": "SOCK_DGRAM", "raw": "SOCK_RAW", "any": "0"}


def modern_program(names: Sequence[str], hints: AddrinfoHints = AddrinfoHints()) -> str:
    """getaddrinfo() of each name with netkit's hints: one line per struct addrinfo."""
    flags = "AI_CANONNAME | AI_ADDRCONFIG" if hints.addrconfig else "AI_CANONNAME"
    service = "NULL" if hints.service is None else c_string(hints.service)
    body = render(
        _MODERN,
        family=_FAMILIES[hints.family],
        socktype=_SOCKTYPES[hints.socktype],
        flags=flags,
        service=service,
    )
    header = Header(
        title="getaddrinfo(): the modern, protocol-independent lookup",
        command=["netkit", "resolve", "--modern", *hints.options(), *names],
        name="getaddrinfo",
        about=[
            "getaddrinfo() resolves a name (and a service) to every address a program could "
            "connect to or bind, IPv4 and IPv6 alike, each as a ready-made sockaddr with the "
            "socket type and protocol to use; it is thread-safe. The hints say what is wanted: "
            "the family (AF_UNSPEC for both), the socket type (0 for any), and flags such as "
            "AI_CANONNAME. netkit resolve --modern prints the same list as a table."
        ],
    )
    main = body + render(_NAMES, names=_names(names))
    return assemble(header, _HEADERS, ERROR_HELPERS, main)
