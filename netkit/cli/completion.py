"""`netkit completion bash|zsh|fish`: the shell completion script, and the hook that answers it.

The scripts are click's own (click.shell_completion): on Tab the shell runs netkit with
_NETKIT_COMPLETE set, and netkit answers from its click definitions, so completion always
matches the installed commands. completions/ in the repository holds the same scripts.
"""

import os
from typing import Literal

import click

Shell = Literal["bash", "zsh", "fish"]
SHELLS: tuple[Shell, ...] = ("bash", "zsh", "fish")
PROG_NAME = "netkit"
COMPLETE_VAR = "_NETKIT_COMPLETE"

# Where each shell looks for a completion file, as the README and netkit-completion(1) say.
SHIPPED_FILES: dict[Shell, str] = {
    "bash": "completions/netkit.bash",
    "zsh": "completions/_netkit",
    "fish": "completions/netkit.fish",
}


def _register_quoting_bash() -> None:
    """bash inserts what a completion function returns as it is, so the function must quote it
    (bash-completion's own helpers do, with printf %q): a value such as the process name
    'nsd: main' is returned as 'nsd:\\ main' and arrives as one argument. click's bash class
    leaves values raw; this one backslash-escapes every character the shell would treat
    specially. zsh and fish quote what they insert themselves."""
    import re

    from click.shell_completion import BashComplete, CompletionItem, add_completion_class

    special = re.compile(r"([^\w@%+=:,./-])")

    class QuotingBashComplete(BashComplete):
        def format_completion(self, item: CompletionItem) -> str:
            if item.type != "plain":
                return super().format_completion(item)
            quoted = special.sub(r"\\\1", item.value)
            # click's script reads the line with `read` (no -r), which eats one level of
            # backslashes: double them so the escapes reach COMPREPLY.
            return "plain," + quoted.replace("\\", "\\\\")

    add_completion_class(QuotingBashComplete)


def completion_script(shell: Shell, root: click.Command) -> str:
    """The completion script for ``shell`` and the ``root`` command (netkit's group), exactly
    as completions/ ships it. The root is handed in: this module sits below netkit.cli."""
    from click.shell_completion import get_completion_class

    _register_quoting_bash()
    completer = get_completion_class(shell)
    if completer is None:  # click registers all three itself; this is a broken install
        raise click.UsageError(f"click has no completion support for {shell}")
    return completer(root, {}, PROG_NAME, COMPLETE_VAR).source()


def answer_completion_request(root: click.Command) -> int | None:
    """If the shell asked for completions (_NETKIT_COMPLETE is set), answer for ``root``;
    else None."""
    instruction = os.environ.get(COMPLETE_VAR)
    if not instruction:
        return None
    from click.shell_completion import shell_complete

    _register_quoting_bash()
    try:
        return shell_complete(root, {}, PROG_NAME, COMPLETE_VAR, instruction)
    except Exception:  # a failing value completer must never print a traceback at a prompt
        return 1


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: Shell) -> int:
    """Print the shell completion script for bash, zsh or fish.

    \b
      bash:  netkit completion bash > ~/.local/share/bash-completion/completions/netkit
      zsh:   netkit completion zsh > ~/.zfunc/_netkit   (with fpath+=(~/.zfunc) before compinit)
      fish:  netkit completion fish > ~/.config/fish/completions/netkit.fish

    Or for this shell only: eval "$(netkit completion bash)" (or zsh);
    netkit completion fish | source.
    """
    root = click.get_current_context().find_root().command
    click.echo(completion_script(shell, root), nl=False)
    return 0
