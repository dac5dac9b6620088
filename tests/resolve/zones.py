"""The zones the test NSD serves."""

# Every record type the issue names that NSD serves, CNAME chains, a wildcard, an IDN, a
# delegation (for DS), and an RRset too big for a 1232-octet UDP reply (TCP fallback).
EXAMPLE_ZONE = """\
$ORIGIN example.test.
$TTL 300
@            IN SOA    ns1 hostmaster 2024010101 3600 600 86400 300
@            IN NS     ns1
@            IN MX     10 mail
@            IN MX     20 mail2
@            IN TXT    "v=spf1 -all"
@            IN TXT    "hello world" "second string"
@            IN CAA    0 issue "letsencrypt.org"
@            IN DNSKEY 257 3 13 {key}
@            IN HTTPS  1 . alpn=h2,h3
_svc         IN SVCB   1 svc.example.test. port=8443
ns1          IN A      127.0.0.1
mail         IN A      192.0.2.25
mail2        IN AAAA   2001:db8::25
www          IN CNAME  web
web          IN CNAME  host
host         IN A      192.0.2.10
host         IN AAAA   2001:db8::10
dangling     IN CNAME  nowhere
_http._tcp   IN SRV    10 5 80 host
*.wild       IN A      192.0.2.99
xn--bcher-kva IN A     192.0.2.77
child        IN NS     ns.child
child        IN DS     12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.child     IN A      192.0.2.53
"""
DNSKEY = "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="
BIG_RRSET = "".join(
    f'big          IN TXT    "record {i:03d} padding padding padding padding padding"\n'
    for i in range(60)
)
REVERSE_V4_ZONE = """\
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 300
@   IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300
@   IN NS  ns1.example.test.
10  IN PTR host.example.test.
10  IN TXT "reverse text"
25  IN PTR mail.example.test.
"""
REVERSE_V6_ZONE = """\
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 300
@   IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300
@   IN NS  ns1.example.test.
0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR host.example.test.
"""
ZONES = {
    "example.test.": EXAMPLE_ZONE.format(key=DNSKEY) + BIG_RRSET,
    "2.0.192.in-addr.arpa.": REVERSE_V4_ZONE,
    "8.b.d.0.1.0.0.2.ip6.arpa.": REVERSE_V6_ZONE,
}
