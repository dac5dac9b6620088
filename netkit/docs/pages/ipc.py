"""Hand-written parts of netkit-ipc(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit ipc** shows how processes on one host talk to each other, step by step, "
        "and measures it:",
        (
            "pipe",
            "**pipe**(2) and **fork**(2): the parent writes, the child reads and prints "
            "**Child received: Hello from parent**, then a table of every step in order: the "
            "descriptors, the child's pid, each side closing the end it does not use, the "
            "bytes written and read, and the child's exit status.",
        ),
        (
            "socketpair",
            "**socketpair**(2): a message each way (**Child got: Hi child**, "
            "**Parent got: Hi parent**) with the same kind of table.",
        ),
        (
            "fdpass",
            "The parent opens a file and passes the descriptor to the child over a "
            "Unix socket with SCM_RIGHTS; the child reads through it. The table shows the "
            "descriptor numbers on each side and the credentials the kernel reports for the "
            "peer (SO_PEERCRED: pid, uid, gid).",
        ),
        (
            "bench",
            "One-way throughput and round-trip latency for a pipe, a socketpair, a "
            "Unix stream socket and TCP over loopback (UDP and Unix datagrams as extras), for "
            "message sizes from 64 bytes to 1 MiB (**--size** for one), with the data "
            "verified: whether Unix sockets beat TCP loopback on this machine, and by how "
            "much.",
        ),
        "Every child is waited for, also on Ctrl-C; a child that crashes is reported.",
    ),
    sections=(
        (
            "JSON OUTPUT",
            (
                ("pipe, socketpair, fdpass", "The steps of the table."),
                (
                    "bench",
                    "One object per channel and size with at least **kind** (pipe, "
                    "socketpair, unix, tcp), **size**, **mibps** and **rtt_p50_us**.",
                ),
            ),
        ),
    ),
    exit_status=(
        ("0", "The demo or benchmark ran and the data arrived intact."),
        ("1", "A child crashed, a write hit a closed pipe (EPIPE), or data was corrupted."),
        ("2", "A usage error."),
        ("130", "Interrupted with Ctrl-C (the children are still waited for)."),
    ),
    examples=(
        Example("The pipe demo with a message of your own:", "netkit ipc pipe --message 'ping'"),
        Example("Pass a descriptor between processes:", "netkit ipc fdpass"),
        Example(
            "Pipes against sockets at 64 KiB, as JSON:", "netkit ipc bench --size 65536 --json"
        ),
    ),
    see_also=("netkit(1)", "pipe(2)", "socketpair(2)", "unix(7)", "cmsg(3)"),
)
