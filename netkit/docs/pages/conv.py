"""Hand-written parts of netkit-conv(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit conv** shows what the C socket API does to numbers and addresses: "
        "**htons**(3) and **htonl**(3) byte-order conversion, and **inet_pton**(3) and "
        "**inet_ntop**(3) address conversion, with ipcalc-style network facts for an "
        "address with a prefix.",
        "Text addresses are accepted exactly as inet_pton accepts them: 1.2.3 and 01.2.3.4 "
        "are errors, as in C. IPv6 addresses are written as inet_ntop writes them "
        "(RFC 5952). A /31 or /127 network is a point-to-point link whose two addresses are "
        "both hosts (RFC 3021, RFC 6164).",
        "Every subcommand takes several values, or **-** to read one per line from standard "
        "input (blank lines and lines starting with # are skipped). One value prints a "
        "detail block; several print a table with a row each, invalid ones included.",
    ),
    sections=(
        (
            "JSON OUTPUT",
            (
                "With **--json**, one array with an object per input, in input order.",
                (
                    "port, long",
                    "**input**, **bits**, **function** (htons, ntohs, htonl or "
                    "ntohl), **host**, **network**, **host_hex**, **network_hex**, **wire** (the "
                    "bytes on the wire in hex), **byteorder**, **ipv4** (long only), **error**.",
                ),
                (
                    "ip",
                    "**input**, **parsed_as**, **family** (IPv4 or IPv6), **canonical**, "
                    "**expanded**, **scope_id**, **packed** (hex), **integer**, **integer_hex**, "
                    "**binary**, **reverse_pointer**, **kind**, **kind_reference**, "
                    "**embedded_ipv4**, **cidr** (an object with **prefix_length**, **network**, "
                    "**netmask**, **wildcard**, **broadcast**, **first_host**, **last_host**, "
                    "**host_count**, **address_count**; null without a prefix), **error**.",
                ),
                "**error** is null for a valid input; for an invalid one it is the message, "
                "and the other fields are null (for port and long, all but **input**, **bits**, "
                "**function** and **byteorder**, which say what was asked).",
            ),
        ),
    ),
    exit_status=(
        ("0", "Every value converted."),
        ("1", "At least one value was invalid (the others are still printed)."),
        ("2", "A usage error, or no values at all."),
        ("130", "Interrupted with Ctrl-C, for example while reading standard input."),
    ),
    examples=(
        Example("htons on a port, as the reference shows it:", "netkit conv port 8080"),
        Example("htonl, and the IPv4 address the value stands for:", "netkit conv long 0x7f000001"),
        Example("Everything about an address:", "netkit conv ip 192.168.1.1"),
        Example("The network around an address, like ipcalc:", "netkit conv ip 10.1.2.3/8"),
        Example(
            "An integer, then packed bytes, back to text:",
            "netkit conv ip --from int 3232235777\nnetkit conv ip --from packed c0a80101",
        ),
        Example(
            "A batch from standard input, as JSON:",
            "printf '10.0.0.1\\n::1\\n' | netkit conv ip --json -",
        ),
    ),
    see_also=("netkit(1)", "byteorder(3)", "inet_pton(3)", "inet_ntop(3)", "ipcalc(1)"),
)
