"""Hand-written parts of netkit-ifaces(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit ifaces** shows this host's network interfaces, like **ip addr** and "
        "**ip -s link** together: link state, MTU, speed, MAC address, every IPv4 and IPv6 "
        "address with its prefix length and scope, and the byte, packet, error and drop "
        "counters in each direction. Interfaces come in kernel index order, as ip lists them.",
        "With **--watch** it shows a live table of rates per interface: bytes and packets "
        "per second received and sent, errors and drops per second, and the totals, "
        "refreshed every **--interval** seconds until Ctrl-C (or **--count** refreshes). "
        "Piped, each refresh prints a new table; with **--json**, JSON Lines.",
        "Speed is null when the driver does not report one (loopback, most virtual links). "
        "A counter that goes backwards (the interface was re-created) is counted from zero.",
    ),
    sections=(
        (
            "JSON OUTPUT",
            (
                "With **--json**, one array with an object per interface:",
                ("name, index", "The interface name and its kernel index."),
                (
                    "up, flags",
                    "Whether the link is up, and the kernel's flags (up, "
                    "broadcast, loopback, running, multicast, ...).",
                ),
                ("mtu, speed_mbps, duplex, mac", "null where unknown."),
                (
                    "addresses",
                    "Objects with **family** (IPv4 or IPv6), **address**, "
                    "**prefixlen**, **cidr** (address/prefix), **broadcast**, **peer** "
                    "(point-to-point links) and **scope** (host, link or global).",
                ),
                (
                    "counters",
                    "An object with **bytes_recv**, **bytes_sent**, "
                    "**packets_recv**, **packets_sent**, **errors_in**, **errors_out**, "
                    "**drops_in**, **drops_out**.",
                ),
                "With **--watch --json**, one object per interface and refresh: **time** "
                "(Unix time), **interval**, **name**, **up**, **rx_bytes_per_s**, "
                "**tx_bytes_per_s**, **rx_packets_per_s**, **tx_packets_per_s**, "
                "**errors_per_s**, **drops_per_s**, **bytes_recv**, **bytes_sent**.",
            ),
        ),
    ),
    exit_status=(
        ("0", "Success; also when Ctrl-C ends **--watch**, which is how it is meant to stop."),
        (
            "1",
            "An interface named on the command line does not exist, or the counters could "
            "not be read.",
        ),
        ("2", "A usage error, such as **--count** without **--watch**."),
        ("130", "Interrupted with Ctrl-C before the list was printed."),
    ),
    examples=(
        Example("Every interface, like ip addr and ip -s link:", "netkit ifaces"),
        Example("The addresses of eth0 as JSON:", "netkit ifaces eth0 --json"),
        Example(
            "Live rates on eth0 and lo, twice a second:",
            "netkit ifaces eth0 lo --watch --interval 0.5",
        ),
        Example(
            "Ten seconds of rates as JSON Lines, for a script:",
            "netkit ifaces --watch --json --count 10",
        ),
    ),
    see_also=("netkit(1)", "netkit-conns(1)", "ip(8)", "ifconfig(8)", "ip-link(8)"),
)
