"""Hand-written parts of netkit(1)."""

from netkit.docs.pages import Example, Page

PAGE = Page(
    description=(
        "**netkit** is one command for the network work people do with **nc**, **dig**, "
        "**ipcalc**, **ss** and **ip**, and a lab for the classic socket programming "
        "designs: byte-order and address conversion, DNS lookups through the system resolver "
        "or straight to a server, echo servers in every I/O design (blocking, threads, select, "
        "poll, epoll, kqueue), an nc-style client, a load generator, IPC demos, and what ss "
        "and ip show about this host.",
        "Each command has its own manual page, listed under **COMMANDS** below. They share "
        "these conventions:",
        (
            "Output",
            "A table for people on standard output; colour only on a terminal. Notes "
            "and progress go to standard error, so a pipe gets only the results.",
        ),
        (
            "--json",
            "Every command prints JSON for scripts with **--json**: one document, or "
            "JSON Lines (one object per line) for streams such as logs and live views. Field "
            "names are stable and listed under JSON OUTPUT in each command's page.",
        ),
        (
            "Errors",
            "A failure prints one line, **netkit: error:** and what went wrong, on "
            "standard error; never a Python traceback unless **--debug** asks for it.",
        ),
        (
            "Loopback first",
            "Servers listen on 127.0.0.1 unless told otherwise; listening "
            "beyond this host is always explicit (**--host 0.0.0.0** or **--host ::**).",
        ),
    ),
    sections=(
        (
            "ENVIRONMENT",
            (
                ("NO_COLOR", "When set and not empty, no colour even on a terminal."),
                ("FORCE_COLOR", "When set and not empty, colour even when not on a terminal."),
                ("NETKIT_DEBUG", "When set to anything but 0, behave as with **--debug**."),
                (
                    "COLUMNS",
                    "The width of tables; without it, the terminal's width, or 160 "
                    "columns when standard output is not a terminal.",
                ),
                (
                    "_NETKIT_COMPLETE",
                    "Set by the shell completion scripts "
                    "(**netkit-completion**(1)); netkit then prints completions, not results.",
                ),
            ),
        ),
    ),
    examples=(
        Example("What an address is, and its network:", "netkit conv ip 10.1.2.3/8"),
        Example("Ask a DNS server directly, like dig:", "netkit resolve --dns -t MX example.com"),
        Example(
            "An epoll echo server, and a client for it:",
            "netkit listen tcp --mux epoll --port 5566\nnetkit connect tcp 127.0.0.1 5566",
        ),
        Example("Who listens on which TCP port:", "netkit conns --listening --tcp"),
        Example("Set up completion for this bash session:", 'eval "$(netkit completion bash)"'),
    ),
    see_also=("nc(1)", "dig(1)", "ss(8)", "ip(8)"),
)
