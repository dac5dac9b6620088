"""Hand-written parts of netkit-bench(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit bench tcp**|**udp**|**unix** is a closed-loop echo load generator: each of "
        "**-c** connections sends a message of **-s** bytes, waits for the whole echo, checks "
        "it byte for byte and sends the next, for **-d** seconds (at most **--rate** requests "
        "per second if given). It reports requests per second, MiB per second, latency "
        "percentiles (p50, p90, p99, max), errors and mismatches. **--workers** spreads the "
        "load over several processes so that the generator is not the bottleneck.",
        "**netkit bench mux** starts netkit's own listener in each I/O design in turn "
        "(blocking, thread, select, poll, epoll, and kqueue where present), loads each the "
        "same way and prints one comparison table: requests per second, server CPU time per "
        "request and p99 latency; then again with many idle connections held open beside "
        "the active ones, which shows that select and poll pay for every descriptor they "
        "watch and epoll does not.",
        "A progress bar shows while it runs (on a terminal) and a table at the end.",
    ),
    sections=(
        (
            "JSON OUTPUT",
            (
                (
                    "tcp, udp, unix",
                    "One object with at least **rps**, **mibps**, "
                    "**p50_us**, **p99_us** and **errors**.",
                ),
                ("mux", "One object per design with at least **mux** and **rps**."),
            ),
        ),
    ),
    exit_status=(
        ("0", "The run finished and every echo matched."),
        ("1", "The server could not be reached, or errors or mismatches were seen."),
        ("2", "A usage error."),
        ("130", "Interrupted with Ctrl-C."),
    ),
    examples=(
        Example(
            "64 connections with 512-byte messages for 10 seconds:",
            "netkit bench tcp 127.0.0.1 5566 -c 64 -s 512 -d 10",
        ),
        Example("Every I/O design side by side, as JSON:", "netkit bench mux --json"),
    ),
    see_also=("netkit(1)", "netkit-listen(1)", "epoll(7)", "select(2)", "poll(2)"),
)
