"""Where --dns sends its queries: server arguments and resolv.conf."""

from pathlib import Path

import pytest

from netkit.resolve.query import parse_server, system_servers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1#5353", ("127.0.0.1", 5353)),  # dig's notation
        ("@::1", ("::1", 53)),
        ("::1#5353", ("::1", 5353)),
        ("[::1]:5353", ("::1", 5353)),
        ("@fe80::1%lo", ("fe80::1%lo", 53)),
    ],
)
def test_server_notations(text: str, expected: tuple[str, int]) -> None:
    assert parse_server(text, 53) == expected


def test_server_by_name() -> None:
    assert parse_server("@localhost#5300", 53) in (("127.0.0.1", 5300), ("::1", 5300))


@pytest.mark.parametrize("text", ["@127.0.0.1#", "@127.0.0.1#70000", "@", "@[::1]:x"])
def test_bad_servers(text: str) -> None:
    with pytest.raises(ValueError, match=r"bad port|names no server|does not resolve"):
        parse_server(text, 53)


def test_resolv_conf_nameservers(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# generated\nsearch example.test\nnameserver 192.0.2.53\nnameserver  2001:db8::53\n"
        "options edns0\n"
    )
    assert system_servers(str(conf)) == ["192.0.2.53", "2001:db8::53"]


def test_resolv_conf_default_is_localhost(tmp_path: Path) -> None:
    # resolv.conf(5): with no nameserver line, the name server on the local machine is used.
    assert system_servers(str(tmp_path / "missing")) == ["127.0.0.1"]
