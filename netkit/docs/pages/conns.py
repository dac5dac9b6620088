"""Hand-written parts of netkit-conns(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit conns** lists the sockets on this host, like **ss -tunap** or "
        "**netstat -tunap**: protocol, local and remote address, TCP state, the process "
        "that owns the socket and its user. It reads them through psutil, so it works the "
        "same on Linux, the BSDs and macOS.",
        "Without **-t**, **-u** or **-x** it lists TCP and UDP sockets; **-x** asks for Unix "
        "domain sockets, alone or with the others. Filters combine: every one given must "
        "match. **--port** matches the local or the remote port, so it finds both the "
        "listener and its clients.",
        "**--listening** keeps TCP sockets in LISTEN, UDP sockets without a peer (what "
        "**ss -l** calls UNCONN) and Unix sockets bound to a name; psutil does not report "
        "whether a Unix socket listens.",
        "Only root may see which process owns another user's socket. Without root such "
        "sockets are still listed, without a process, and a one-line note on standard error "
        "says so. On macOS and the BSDs, where the system-wide table is refused to other "
        "users, netkit lists the sockets of your own processes and says so.",
    ),
    sections=(
        (
            "JSON OUTPUT",
            (
                "With **--json**, one array with an object per socket:",
                ("proto", "tcp, udp or unix."),
                ("family", "IPv4, IPv6 or unix."),
                ("socktype", "stream, dgram or seqpacket."),
                (
                    "local, remote",
                    "The address as ss shows it: 127.0.0.1:5566, [::1]:5566, "
                    "or a Unix socket path; null when unbound or without a peer.",
                ),
                (
                    "local_address, local_port, remote_address, remote_port",
                    "The same, split; null where there is none.",
                ),
                (
                    "state",
                    "The TCP state: LISTEN, ESTABLISHED, TIME_WAIT and the others of "
                    "**--state**; null for UDP and Unix sockets.",
                ),
                (
                    "pid, process, user, fd",
                    "The owning process, its name, its user and the "
                    "descriptor number in it; null when not visible.",
                ),
            ),
        ),
    ),
    examples=(
        Example("Every TCP and UDP socket, like ss -tunap:", "netkit conns"),
        Example("Who listens on TCP port 5566:", "netkit conns --listening --tcp --port 5566"),
        Example("The connections of one process:", "netkit conns --pid 1234 --state established"),
        Example(
            "Unix sockets of processes whose name contains ssh:",
            "netkit conns --unix --process ssh",
        ),
        Example(
            "Listening ports as a list, with jq:",
            "netkit conns -lt --json | jq -r '.[] | .local_port' | sort -nu",
        ),
    ),
    see_also=(
        "netkit(1)",
        "netkit-ifaces(1)",
        "netkit-listen(1)",
        "ss(8)",
        "netstat(8)",
        "lsof(8)",
    ),
)
