"""`netkit conv port|long|ip --show-c`: htons/htonl/ntohs/ntohl and inet_pton/inet_ntop in C,
printing the reference's lines (`host port: 0x1f90 -> network: 0x901f`, `IPv4: 192.168.1.1
(0xc0a80101)`)."""

from collections.abc import Sequence
from typing import Literal

from netkit.errors import NetkitUsageError
from netkit.showc.cstring import c_string
from netkit.showc.program import ERROR_HELPERS, Header, assemble, render

_BYTE_ORDER_MAIN = r"""
/* The values from the command line. */
static const ${ctype} values[] = {${values}};

int main(void) {
  for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    ${ctype} value = values[i];
    /* ${why} */
    if (printf("${line}\n", ${arguments}) < 0) die("printf");
  }
  /* Output is buffered: an error writing it (a full disk, a closed pipe) shows up here. */
  if (fflush(stdout) == EOF) die("fflush(stdout)");
  return 0;
}
"""

_HTON_WHY = (
    "${call}() returns the value with its bytes in network order (big-endian); on a\n"
    " * big-endian host it changes nothing, on x86 and ARM it swaps them."
)
_NTOH_WHY = (
    "The value is in network byte order, as read from a packet; ${call}() gives the\n"
    " * host's own order. It is the same swap as hton*(), read the other way round."
)


def byte_order_program(values: Sequence[int], bits: Literal[16, 32], *, to_host: bool) -> str:
    """htons/ntohs (16 bits) or htonl/ntohl (32 bits) of each value, one line each."""
    limit = 1 << bits
    if not values or any(not 0 <= v < limit for v in values):
        raise NetkitUsageError(f"--show-c needs values from 0 to {limit - 1}")
    short = bits == 16
    call = ("ntoh" if to_host else "hton") + ("s" if short else "l")
    what = "port" if short else "addr"
    if to_host:
        line = f"network {what}: 0x%lx -> host: 0x%lx"
    else:
        line = f"host {what}: 0x%lx -> network: 0x%lx"
    ctype = "uint16_t" if short else "uint32_t"
    why = render(_NTOH_WHY if to_host else _HTON_WHY, call=call)
    main = render(
        _BYTE_ORDER_MAIN,
        ctype=ctype,
        values=", ".join(hex(v) for v in values),
        why=why,
        line=line,
        arguments=f"(unsigned long)value, (unsigned long){call}(value)",
    )
    command = ["netkit", "conv", "port" if short else "long", *map(str, values)]
    command += ["--ntoh"] if to_host else []
    header = Header(
        title=f"{call}() of {'a 16-bit value (a port)' if short else 'a 32-bit value'}",
        command=command,
        name=call,
        about=[
            "Network protocols put multi-byte integers on the wire big-endian (network byte "
            "order); most processors keep them little-endian. htons/htonl convert a 16-bit or "
            "32-bit value from host to network order, ntohs/ntohl back. Each line is the "
            "socket reference's own: the value before and after the call, in hex."
        ],
    )
    headers = ["errno.h", "stdint.h", "stdio.h", "stdlib.h", "string.h", "arpa/inet.h"]
    return assemble(header, headers, ERROR_HELPERS, main)


_ADDRESS_PROGRAM = r"""
/* inet_pton() turns the text into the address's bytes in network order, and returns 1, or 0
 * when the text is not an address of that family (it sets no errno then), or -1 when the
 * family itself is unknown. inet_ntop() writes the bytes back as text in the canonical form
 * (for IPv6 the shortest, RFC 5952), so what is printed may differ from what was given. */
static int show(const char *text) {
  if (strchr(text, ':') == NULL) {
    struct in_addr addr4;
    int rc = inet_pton(AF_INET, text, &addr4);
    if (rc < 0) die("inet_pton(AF_INET)");
    if (rc == 0) {
      fprintf(stderr, "inet_pton: '%s' is not an IPv4 address\n", text);
      return -1;
    }
    char str4[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &addr4, str4, sizeof(str4)) == NULL) die("inet_ntop(AF_INET)");
    /* s_addr holds the bytes in network order: ntohl() gives the number they stand for. */
    if (printf("IPv4: %s (0x%lx)\n", str4, (unsigned long)ntohl(addr4.s_addr)) < 0)
      die("printf");
  } else {
    struct in6_addr addr6;
    int rc = inet_pton(AF_INET6, text, &addr6);
    if (rc < 0) die("inet_pton(AF_INET6)");
    if (rc == 0) {
      fprintf(stderr, "inet_pton: '%s' is not an IPv6 address\n", text);
      return -1;
    }
    char str6[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, &addr6, str6, sizeof(str6)) == NULL) die("inet_ntop(AF_INET6)");
    if (printf("IPv6: %s\n", str6) < 0) die("printf");
  }
  return 0;
}

/* The addresses from the command line. */
static const char *const addresses[] = {
${addresses}
};

int main(void) {
  int status = 0;
  for (size_t i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++) {
    if (show(addresses[i]) < 0) status = 1;
  }
  if (fflush(stdout) == EOF) die("fflush(stdout)");
  return status;
}
"""


def address_program(addresses: Sequence[str]) -> str:
    """inet_pton then inet_ntop of each address: IPv6 when the text has a colon, else IPv4."""
    if not addresses:
        raise NetkitUsageError("--show-c needs at least one address")
    for text in addresses:
        # What netkit would read as address/PREFIX or address%SCOPE; anything else goes to
        # inet_pton as it is, which refuses what is not an address.
        suffix = text.rpartition("/")[2] if "/" in text else text.rpartition("%")[2]
        if ("/" in text or "%" in text) and suffix.replace(".", "").isalnum():
            raise NetkitUsageError(
                f"--show-c shows inet_pton/inet_ntop of a plain address; {text!r} has a "
                "/PREFIX or %SCOPE, which inet_pton does not take"
            )
    literals = ",\n".join(f"    {c_string(text)}" for text in addresses)
    header = Header(
        title="inet_pton() and inet_ntop() of an address",
        command=["netkit", "conv", "ip", *addresses],
        name="inet-conv",
        about=[
            "inet_pton (presentation to network) parses an IPv4 or IPv6 address into the bytes "
            "that go into a sockaddr; inet_ntop (network to presentation) writes them back as "
            "text. Unlike inet_aton and inet_ntoa they handle both families, and inet_pton "
            "accepts only the strict forms: no '1.2.3', no leading zeros."
        ],
    )
    headers = ["errno.h", "stdio.h", "stdlib.h", "string.h", "arpa/inet.h", "netinet/in.h"]
    main = render(_ADDRESS_PROGRAM, addresses=literals)
    return assemble(header, headers, ERROR_HELPERS, main)
