"""Hand-written parts of netkit-connect(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit connect** is an nc-style client: it connects over TCP, UDP or a Unix "
        "domain socket, copies standard input to the socket and the socket to standard "
        "output.",
        "At the end of standard input it half-closes the connection (shutdown of its write "
        "side) and keeps reading until the peer closes, so a reply that comes late is never "
        "lost; nc needs **-N** for that and socat gives up after half a second. **--timeout** "
        "limits the connect and idle time; for UDP it is how long to wait for replies after "
        "the end of standard input.",
    ),
    exit_status=(
        (
            "0",
            "The conversation ended: the peer closed, **--timeout** passed without data "
            "either way, or for UDP the replies stopped; with **-z**, the port accepted.",
        ),
        (
            "1",
            "Connecting failed (refused, host unreachable, no connection within "
            "**--timeout**, a name that does not resolve) or the connection broke (reset).",
        ),
        ("2", "A usage error."),
        ("130", "Interrupted with Ctrl-C."),
    ),
    examples=(
        Example("Talk to an echo server:", "echo hello | netkit connect tcp 127.0.0.1 5566"),
        Example(
            "A UDP request, waiting two seconds for the answer:",
            "printf 'ping' | netkit connect udp 127.0.0.1 5566 --timeout 2",
        ),
        Example("A Unix domain socket:", "netkit connect unix /tmp/echo.sock < request.bin"),
    ),
    see_also=(
        "netkit(1)",
        "netkit-listen(1)",
        "nc(1)",
        "ncat(1)",
        "socat(1)",
        "shutdown(2)",
    ),
)
