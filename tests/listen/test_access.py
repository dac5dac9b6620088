"""--allow/--deny decisions (netkit/listen/access.py)."""

from netkit.listen.access import AccessPolicy, parse_network


def test_no_rules_allow_everyone() -> None:
    policy = AccessPolicy()
    assert not policy.active
    assert policy.refusal("203.0.113.9") is None


def test_deny_wins_over_allow() -> None:
    policy = AccessPolicy(
        allow=(parse_network("10.0.0.0/8"),), deny=(parse_network("10.1.0.0/16"),)
    )
    assert policy.refusal("10.2.3.4") is None
    assert policy.refusal("10.1.2.3") == "denied by --deny 10.1.0.0/16"
    assert policy.refusal("192.168.1.1") == "not in any --allow network"


def test_ipv4_mapped_peers_match_ipv4_rules() -> None:
    policy = AccessPolicy(deny=(parse_network("127.0.0.0/8"),))
    assert policy.refusal("::ffff:127.0.0.1") is not None
    assert policy.refusal("::1") is None


def test_bare_addresses_and_host_bits() -> None:
    assert str(parse_network("192.168.1.7")) == "192.168.1.7/32"
    assert str(parse_network("192.168.1.7/24")) == "192.168.1.0/24"
    assert str(parse_network("fe80::1")) == "fe80::1/128"
