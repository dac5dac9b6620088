"""The ``netkit`` root command: lazy subcommand loading and the one place errors become exits."""

import os
import sys
from importlib import import_module
from typing import NoReturn

import click

from netkit import __version__
from netkit.errors import ExitStatus, NetkitError
from netkit.render.output import emit_message

# name -> "module:attribute". Each command module is imported only when that command runs
# (or when --help lists them), so `netkit conv` never pays for dnspython or psutil.
COMMANDS: dict[str, str] = {
    "bench": "netkit.cli.bench:bench",
    "completion": "netkit.cli.completion:completion",
    "connect": "netkit.cli.connect:connect",
    "conns": "netkit.cli.conns:conns",
    "conv": "netkit.cli.conv:conv",
    "ifaces": "netkit.cli.ifaces:ifaces",
    "ipc": "netkit.cli.ipc:ipc",
    "listen": "netkit.cli.listen:listen",
    "resolve": "netkit.cli.resolve:resolve",
    "scan": "netkit.cli.scan:scan",
}

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class LazyGroup(click.Group):
    """A group whose subcommands live in modules imported on first use (click's lazy group)."""

    def __init__(self, *args: object, lazy_subcommands: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # click's own signature is untyped **attrs
        self.lazy_subcommands = lazy_subcommands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy_subcommands.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command = getattr(import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        _accept_debug_everywhere(command)
        return command


def _accept_debug_everywhere(command: click.Command) -> None:
    """--debug after the command too (`netkit conv ip x --debug`), as people type it; hidden
    there, since the root's --debug is the one documented."""
    if any("--debug" in param.opts for param in command.params):
        return
    command.params.append(
        click.Option(
            ["--debug"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            hidden=True,
            callback=_enable_debug,
        )
    )
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _accept_debug_everywhere(subcommand)


class _DebugFlag:
    """Whether --debug (or NETKIT_DEBUG=1) asked for tracebacks; read after the command fails."""

    enabled = os.environ.get("NETKIT_DEBUG", "") not in ("", "0")


def _enable_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _DebugFlag.enabled = True


@click.group(
    cls=LazyGroup,
    lazy_subcommands=COMMANDS,
    context_settings=CONTEXT_SETTINGS,
)
@click.version_option(__version__, "-V", "--version", prog_name="netkit")
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_enable_debug,
    help="Show the Python traceback when a command fails (also NETKIT_DEBUG=1).",
)
def cli() -> None:
    """netkit: network diagnostics from the command line.

    Address and byte-order conversion, DNS lookups, echo servers in every classic I/O design,
    an nc-style client, load generation, IPC demos, and what ss and ip show. Every command
    prints a table for people, or JSON for scripts with --json.
    """


def _usage_message(error: click.UsageError) -> str:
    command = error.ctx.command_path if error.ctx is not None else "netkit"
    return f"{error.format_message()} (see '{command} --help')"


def run(args: list[str]) -> int:  # noqa: PLR0911  # one return per kind of failure, on purpose
    """Run one command line and return its exit status; every failure is mapped here."""
    try:
        with cli.make_context("netkit", args) as ctx:
            status = cli.invoke(ctx)
        sys.stdout.flush()  # a full disk or closed pipe is the command's failure too
        return int(status or ExitStatus.OK)
    except click.exceptions.Exit as done:  # --help, --version, ctx.exit()
        return done.exit_code
    except click.exceptions.NoArgsIsHelpError as error:  # `netkit`, `netkit conv`: the help
        click.echo(error.format_message(), err=True)
        return ExitStatus.USAGE
    except click.UsageError as error:
        emit_message("error", _usage_message(error))
        return ExitStatus.USAGE
    except click.ClickException as error:  # e.g. a file argument that cannot be opened
        emit_message("error", error.format_message())
        return error.exit_code
    except (KeyboardInterrupt, click.Abort):
        return ExitStatus.INTERRUPTED
    except NetkitError as error:
        _print_traceback_if_debugging()
        emit_message("error", error.message)
        return error.exit_status
    except BrokenPipeError:
        # The reader went away (`netkit ... | head`): stop quietly with the status of a process
        # that SIGPIPE ended, as C tools do, and keep Python from complaining again when it
        # flushes stdout at exit.
        _silence_stdout()
        return ExitStatus.OUTPUT_CLOSED
    except Exception as error:
        _print_traceback_if_debugging()
        detail = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        kind = "" if isinstance(error, OSError) else f"unexpected {type(error).__name__}: "
        hint = "" if _DebugFlag.enabled else " (run with --debug for the traceback)"
        emit_message("error", f"{kind}{detail}{hint}")
        return ExitStatus.FAILURE


def _print_traceback_if_debugging() -> None:
    if _DebugFlag.enabled:
        import traceback  # only on failure: it costs start-up time

        traceback.print_exc()


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(args: list[str] | None = None) -> NoReturn:
    """Console-script entry point."""
    if "_NETKIT_COMPLETE" in os.environ:  # the shell pressed Tab (netkit completion)
        from netkit.cli.completion import answer_completion_request

        sys.exit(answer_completion_request(cli) or 0)
    if sys.stdout is None:  # started with descriptor 1 closed (`netkit ... >&-`)
        click.echo("netkit: error: standard output is closed", err=True)
        sys.exit(ExitStatus.FAILURE)
    sys.exit(run(sys.argv[1:] if args is None else args))
