"""Hand-written parts of netkit-listen(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit listen** runs a TCP, UDP or Unix domain socket server in the I/O design "
        "you choose with **--mux**, and by default echoes what it receives:",
        ("blocking", "The iterative server: one client at a time."),
        ("thread", "One thread per connection (TCP and Unix only)."),
        (
            "select, poll, epoll, kqueue",
            "One event loop calling that system interface "
            "directly; epoll exists on Linux, kqueue on the BSDs and macOS.",
        ),
        ("auto", "The best this platform has: epoll on Linux, kqueue on the BSDs and macOS."),
        "Every design is correct where the classic C examples are not: partial writes are "
        "finished, a client that does not read is not allowed to fill the server's memory "
        "(its output buffer is bounded and reading from it pauses), half-closed connections "
        "get their whole echo before EOF, and running out of descriptors is logged once "
        "and survived.",
        "Instead of echoing, **--discard** drops what arrives and **--print** writes it to "
        "standard output like **nc -l** (**--hex** for a hex dump with direction, time and "
        "length). The server listens on 127.0.0.1 unless **--host** says otherwise "
        "(**--host ::** is dual-stack), on port 5566 unless **--port** says otherwise "
        "(**--port 0** picks a free one), or on **--path** for Unix sockets (@name is an "
        "abstract socket on Linux).",
        "Once listening it prints one line on standard error, such as **listening on tcp "
        "127.0.0.1:5566 (epoll)**, with the real port. **-v** logs each connection (peer, "
        "bytes each way, duration), as JSON Lines with **--json**; **--stats** shows a live "
        "panel of connections and rates. On SIGINT or SIGTERM it stops accepting, closes "
        "the connections, prints a summary (unless **--quiet**), removes its Unix socket "
        "file and exits 0. It raises its soft descriptor limit to the hard limit at start.",
        "A stale Unix socket file (nobody listening) is replaced; a live one, or anything "
        "that is not a socket, is never removed.",
    ),
    exit_status=(
        ("0", "Stopped by SIGINT or SIGTERM, or **--once** and the client is done."),
        (
            "1",
            "The server could not start: the port is in use, permission denied, a bad "
            "host, a Unix path that is taken or too long.",
        ),
        (
            "2",
            "A usage error, such as a **--mux** this platform does not have (the message "
            "names those it has) or **--mux thread** with UDP.",
        ),
    ),
    examples=(
        Example("An epoll echo server on the default port:", "netkit listen tcp --mux epoll"),
        Example(
            "A UDP echo server on a free port, on every address:",
            "netkit listen udp --host :: --port 0",
        ),
        Example(
            "Print what one client sends, as hex, then exit:",
            "netkit listen tcp --print --hex --once",
        ),
        Example(
            "A Unix socket server that logs each connection as JSON:",
            "netkit listen unix --path /tmp/echo.sock -v --json",
        ),
        Example(
            "At most 100 clients, only from 10.0.0.0/8, with a live panel:",
            "netkit listen tcp --host 0.0.0.0 --max-conns 100 --allow 10.0.0.0/8 --stats",
        ),
    ),
    see_also=(
        "netkit(1)",
        "netkit-connect(1)",
        "netkit-bench(1)",
        "nc(1)",
        "socat(1)",
        "select(2)",
        "poll(2)",
        "epoll(7)",
        "unix(7)",
    ),
)
