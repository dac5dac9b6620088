"""netkit.conv.sockaddr against the C library: a small C program fills the real structures with
inet_pton and htons/htonl and prints their bytes; netkit's must be identical."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netkit.conv import ConversionError
from netkit.conv.sockaddr import LINUX, Layout, decode, encode, platform_layout
from tests.support import require_tool

ORACLE = r"""
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Prints "socklen hex" of the structure netkit is asked for, one line per request on stdin:
   in ADDR PORT | in6 ADDR PORT FLOWINFO SCOPE | un HEXPATH | abstract HEXNAME */
static void dump(const void *p, size_t size, size_t socklen) {
    const unsigned char *bytes = p;
    printf("%zu ", socklen);
    for (size_t i = 0; i < size; i++) printf("%02x", bytes[i]);
    printf("\n");
}

static size_t unhex(const char *hex, char *out) {
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", (unsigned char *)&out[i]);
    return n;
}

int main(void) {
    char kind[16], a[512], b[64], c[64], d[64];
    char line[1200];
    while (fgets(line, sizeof line, stdin)) {
        int n = sscanf(line, "%15s %511s %63s %63s %63s", kind, a, b, c, d);
        if (n >= 3 && strcmp(kind, "in") == 0) {
            struct sockaddr_in sin;
            memset(&sin, 0, sizeof sin);
#ifdef __APPLE__
            sin.sin_len = sizeof sin;
#endif
            sin.sin_family = AF_INET;
            sin.sin_port = htons((unsigned short)strtoul(b, NULL, 0));
            if (inet_pton(AF_INET, a, &sin.sin_addr) != 1) return 2;
            dump(&sin, sizeof sin, sizeof sin);
        } else if (n == 5 && strcmp(kind, "in6") == 0) {
            struct sockaddr_in6 sin6;
            memset(&sin6, 0, sizeof sin6);
#ifdef __APPLE__
            sin6.sin6_len = sizeof sin6;
#endif
            sin6.sin6_family = AF_INET6;
            sin6.sin6_port = htons((unsigned short)strtoul(b, NULL, 0));
            sin6.sin6_flowinfo = htonl((uint32_t)strtoul(c, NULL, 0));
            sin6.sin6_scope_id = (uint32_t)strtoul(d, NULL, 0);
            if (inet_pton(AF_INET6, a, &sin6.sin6_addr) != 1) return 2;
            dump(&sin6, sizeof sin6, sizeof sin6);
        } else if (n == 2 && strcmp(kind, "un") == 0) {
            struct sockaddr_un sun;
            memset(&sun, 0, sizeof sun);
            sun.sun_family = AF_UNIX;
            size_t len = unhex(a, sun.sun_path);
            /* unix(7): offsetof(struct sockaddr_un, sun_path) + strlen(sun_path) + 1 */
            dump(&sun, sizeof sun, offsetof(struct sockaddr_un, sun_path) + len + 1);
        } else if (n == 2 && strcmp(kind, "abstract") == 0) {
            struct sockaddr_un sun;
            memset(&sun, 0, sizeof sun);
            sun.sun_family = AF_UNIX;
            size_t len = unhex(a, sun.sun_path + 1);
            /* unix(7): sizeof(sa_family_t) + 1 + the name's length, no terminating NUL */
            dump(&sun, sizeof sun, sizeof(sa_family_t) + 1 + len);
        } else {
            return 3;
        }
        fflush(stdout);
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[str]]:
    """The compiled C program, running: one request a line in, one structure a line out."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the oracle's requests are written for the Linux layout")
    cc = require_tool("cc")
    folder = tmp_path_factory.mktemp("sockaddr")
    source, binary = folder / "oracle.c", folder / "oracle"
    source.write_text(ORACLE)
    subprocess.run([cc, "-O0", "-Wall", "-o", str(binary), str(source)], check=True, timeout=60)
    process = subprocess.Popen(
        [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    yield process
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=10)


def ask(oracle: subprocess.Popen[str], request: str) -> tuple[int, str]:
    assert oracle.stdin is not None and oracle.stdout is not None
    oracle.stdin.write(request + "\n")
    oracle.stdin.flush()
    line = oracle.stdout.readline()
    assert line, f"the oracle stopped at {request!r} (status {oracle.poll()})"
    socklen, hex_text = line.split()
    return int(socklen), hex_text


def _agree(oracle: subprocess.Popen[str], request: str, *args: str, **options: str) -> None:
    result = encode(*args, **options)  # type: ignore[arg-type]  # str options, as the CLI
    assert (result.socklen, result.hex) == ask(oracle, request)
    assert result.fields is not None
    assert sum(f.size or 0 for f in result.fields) == result.size == len(result.hex or "") // 2
    again = decode(result.hex or "")  # the other direction gives the same structure
    assert (again.hex, again.fields) == (result.hex, result.fields)


@pytest.mark.parametrize(
    ("address", "port"),
    [("192.168.1.1", "8080"), ("0.0.0.0", "0"), ("255.255.255.255", "65535"), ("127.0.0.1", "1")],
)
def test_sockaddr_in_matches_c(oracle: subprocess.Popen[str], address: str, port: str) -> None:
    _agree(oracle, f"in {address} {port}", address, port)


@pytest.mark.parametrize(
    ("address", "port", "flowinfo", "scope"),
    [
        ("::1", "443", "0", "0"),
        ("fe80::1", "8080", "0x12345", "3"),
        ("2001:db8::1", "1", "0xfffff", "4294967295"),
        ("::ffff:192.0.2.1", "65535", "0xdeadbeef", "1"),
    ],
)
def test_sockaddr_in6_matches_c(
    oracle: subprocess.Popen[str], address: str, port: str, flowinfo: str, scope: str
) -> None:
    _agree(oracle, f"in6 {address} {port} {flowinfo} {scope}", address, port,
           flowinfo=flowinfo, scope_id=scope)  # fmt: skip


@given(
    st.binary(min_size=16, max_size=16),
    st.integers(0, 65535),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None)
def test_any_sockaddr_in6_matches_c(
    oracle: subprocess.Popen[str], packed: bytes, port: int, flowinfo: int, scope: int
) -> None:
    import ipaddress

    address = str(ipaddress.IPv6Address(packed))
    _agree(oracle, f"in6 {address} {port} {flowinfo} {scope}", address, str(port),
           flowinfo=str(flowinfo), scope_id=str(scope))  # fmt: skip


UNIX_PATHS = [
    "/tmp/echo.sock",
    "./s",
    "/" + "p" * 106,  # 107 bytes: the longest path that leaves room for the NUL
    "/tmp/caf\u00e9 \u2028.sock",  # non-ASCII and a line separator, as UTF-8 bytes
]


@pytest.mark.parametrize("path", UNIX_PATHS, ids=["tmp", "relative", "107 bytes", "utf-8"])
def test_sockaddr_un_matches_c(oracle: subprocess.Popen[str], path: str) -> None:
    _agree(oracle, f"un {os.fsencode(path).hex()}", path)


@pytest.mark.parametrize("name", ["echo", "n" * 107, "with space"], ids=["short", "107", "space"])
def test_abstract_sockaddr_un_matches_c(oracle: subprocess.Popen[str], name: str) -> None:
    _agree(oracle, f"abstract {name.encode().hex()}", "@" + name)


def test_the_issue_example_field_by_field() -> None:
    result = encode("192.168.1.1", "8080", layout=LINUX)
    assert result.hex == "02001f90c0a801010000000000000000"
    assert result.fields is not None
    rows = [(f.name, f.offset, f.size, f.byte_order, f.bytes) for f in result.fields]
    assert rows == [
        ("sin_family", 0, 2, "host", "02 00" if sys.byteorder == "little" else "00 02"),
        ("sin_port", 2, 2, "network", "1f 90"),
        ("sin_addr", 4, 4, "network", "c0 a8 01 01"),
        ("sin_zero", 8, 8, None, "00 00 00 00 00 00 00 00"),
    ]
    assert result.fields[-1].padding is True


BSD = Layout("BSD (sin_len)", has_len=True, af_inet=2, af_inet6=30, af_unix=1,
             sun_path_size=104, abstract_namespace=False)  # fmt: skip


def test_the_bsd_layout_has_sin_len() -> None:
    """As macOS's <netinet/in.h> has it: sin_len, then a one-byte family (AF_INET6 is 30)."""
    v4 = encode("192.168.1.1", "8080", layout=BSD)
    assert v4.hex == "10021f90c0a801010000000000000000"
    assert [f.name for f in v4.fields or ()][:2] == ["sin_len", "sin_family"]
    v6 = encode("::1", "443", layout=BSD)
    assert (v6.hex or "")[:8] == "1c1e01bb" and v6.size == 28
    unix = encode("/tmp/s", layout=BSD)
    assert unix.size == 106 and (unix.hex or "")[:4] == "0801"  # SUN_LEN leaves the NUL out
    with pytest.raises(ConversionError, match="no abstract namespace"):
        encode("@echo", layout=BSD)
    assert decode(v4.hex or "", layout=BSD).hex == v4.hex


def test_this_platform_says_its_layout() -> None:
    layout = platform_layout()
    assert layout.name == ("Linux" if sys.platform.startswith("linux") else "BSD (sin_len)")


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (("1.2.3",), {}, "needs a '/'"),
        (("10.0.0.0/8",), {}, "is a network"),
        (("::1", "65536"), {}, "out of range"),
        (("1.2.3.4", "80"), {"flowinfo": "1"}, "IPv6 fields"),
        (("::1", "80"), {"flowinfo": str(2**32)}, "out of range"),
        (("fe80::1%lo", "80"), {"scope_id": "1"}, "names its scope"),
        (("::1", "80"), {"scope_id": "no-such-interface0"}, "no interface"),
        (("/" + "p" * 107,), {}, "sun_path holds 107"),
        (("@" + "n" * 108,), {}, "sun_path holds 107"),
        (("/tmp/s", "80"), {}, "no port"),
    ],
)
def test_encode_refuses(args: tuple[str, ...], options: dict[str, str], message: str) -> None:
    with pytest.raises(ConversionError, match=message):
        encode(*args, layout=LINUX, **options)  # type: ignore[arg-type]  # str options


@pytest.mark.parametrize(
    ("hex_text", "message"),
    [("zz", "not hex"), ("02", "family alone"), ("0200 1f90", "too short"), ("0900", "family 9")],
)
def test_decode_refuses(hex_text: str, message: str) -> None:
    with pytest.raises(ConversionError, match=message):
        decode(hex_text, layout=LINUX)


def test_decode_reads_what_strace_and_captures_show() -> None:
    spaced = decode("02 00 1f 90 c0 a8 01 01 00 00 00 00 00 00 00 00", layout=LINUX)
    escaped = decode("\\x02\\x00\\x1f\\x90\\xc0\\xa8\\x01\\x01" + "\\x00" * 8, layout=LINUX)
    assert spaced.hex == escaped.hex == "02001f90c0a801010000000000000000"
    # A sockaddr_un as long as its socklen_t: the path ends at its NUL.
    short = decode("01002f746d702f7300", layout=LINUX)
    assert (
        short.socklen == 9 and short.fields and short.fields[1].value == "/tmp/s (NUL-terminated)"
    )
    abstract = decode("0100006563686f", layout=LINUX)
    assert abstract.socklen == 7 and abstract.fields and abstract.fields[2].value == "@echo"


def test_hex_keeps_the_path_exact(tmp_path: Path) -> None:
    raw = b"/tmp/\xff\x1b[31m"
    result = encode(os.fsdecode(raw), layout=LINUX)
    assert bytes.fromhex(result.hex or "")[2 : 2 + len(raw)] == raw
