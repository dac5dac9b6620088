"""Hand-written parts of netkit-resolve(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit resolve** looks names up the three ways a program can: through the system "
        "resolver with the old **gethostbyname**(3), through the system resolver with "
        "**getaddrinfo**(3), or by asking a DNS server directly, like **dig**(1).",
        (
            "Legacy (the default)",
            "**gethostbyname**: the canonical name, aliases and IPv4 "
            "addresses, with a note that this path knows only IPv4 and is deprecated.",
        ),
        (
            "--modern",
            "**getaddrinfo**: one row per address with family, socket type, "
            "protocol, address and port (and flow info and scope id for IPv6). **-4** and **-6** "
            "narrow the family; **--socktype** defaults to stream so that addresses are not "
            "listed three times; **--addrconfig** is opt-in because on a host with only "
            "loopback it hides the loopback answers.",
        ),
        (
            "--dns",
            "A direct query with dnspython: record types with **-t** (repeatable), "
            "the server as **@ADDR** or **--server**, over UDP, **--tcp**, **--tls** (DNS over "
            "TLS) or **--https** (DNS over HTTPS, which needs the dnspython[doh] extra). It "
            "shows the rcode, header flags, the answer, authority and additional sections with "
            "TTLs, the server that answered and the query time. A truncated UDP reply is "
            "retried over TCP. Without a server, the nameservers of /etc/resolv.conf.",
        ),
        "**-x** __ADDR__ does a reverse lookup in every mode: **gethostbyaddr**(3), "
        "**getnameinfo**(3), or a PTR query. Internationalised names such as b\u00fccher.example "
        "work (IDNA 2008) and both forms are shown.",
        "Several names may be given, or **-f** __FILE__ with one per line (**-** for "
        "standard input). In **--dns** mode they are queried concurrently "
        "(**--concurrency**) and the results keep the input order; a progress bar shows on "
        "a terminal for long batches.",
    ),
    sections=(
        (
            "JSON OUTPUT",
            (
                "With **--json**, one array with an object per query, in input order.",
                ("legacy", "**name**, **canonical**, **aliases**, **addresses**."),
                (
                    "--modern",
                    "**name**, **canonical**, **results**: objects with "
                    "**family**, **socktype**, **protocol**, **address**, **port**.",
                ),
                (
                    "--dns",
                    "**name**, **type**, **server**, **rcode** (NOERROR, NXDOMAIN, "
                    "...), **answers**: objects with **name**, **type**, **ttl** and **data** in "
                    "zone-file form (10 mail.example.com.).",
                ),
            ),
        ),
    ),
    exit_status=(
        ("0", "Every name got an answer."),
        (
            "1",
            "At least one name did not resolve: NXDOMAIN, no data, SERVFAIL, REFUSED, a "
            "timeout, an answer that did not match the question, or an invalid name or "
            "address (an empty label, a label over 63 octets, **-x** with something that is "
            "not an address).",
        ),
        (
            "2",
            "A usage error: an unknown option, record type or **--service**, or an option "
            "of another mode.",
        ),
        ("130", "Interrupted with Ctrl-C."),
    ),
    examples=(
        Example(
            "The system resolver, the old way and the modern way:",
            "netkit resolve example.com\nnetkit resolve --modern example.com",
        ),
        Example(
            "Mail servers, asked from a given server:",
            "netkit resolve --dns -t MX example.com @9.9.9.9",
        ),
        Example("Addresses only, like dig +short:", "netkit resolve --dns --short example.com"),
        Example(
            "DNS over TLS with DNSSEC records:",
            "netkit resolve --dns --tls --server 1.1.1.1 --dnssec -t DNSKEY example.com",
        ),
        Example("A reverse lookup:", "netkit resolve --dns -x 192.0.2.1"),
        Example(
            "A batch of names, 200 at a time, as JSON:",
            "netkit resolve --dns -f names.txt --concurrency 200 --json",
        ),
    ),
    see_also=(
        "netkit(1)",
        "dig(1)",
        "kdig(1)",
        "getent(1)",
        "getaddrinfo(3)",
        "gethostbyname(3)",
        "resolv.conf(5)",
    ),
)
