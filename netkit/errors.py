"""The netkit error hierarchy and the exit statuses the CLI maps it to."""

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit statuses, as documented in every man page."""

    OK = 0
    FAILURE = 1  # a runtime failure: a name did not resolve, a port was in use, ...
    USAGE = 2  # the command line itself was wrong
    INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
    OUTPUT_CLOSED = 141  # 128 + SIGPIPE: the reader of stdout went away (`netkit ... | head`)


class NetkitError(Exception):
    """A failure with a message meant for the user; the CLI prints it on one line."""

    exit_status: ExitStatus = ExitStatus.FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NetkitUsageError(NetkitError):
    """The user asked for something that cannot work as asked (exit 2)."""

    exit_status = ExitStatus.USAGE
