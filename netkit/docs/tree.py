"""What both generators read from the click definitions: contexts, subcommands, options."""

from collections.abc import Iterator

import click


def root_context(root: click.Group) -> click.Context:
    # The group's context_settings (help option names, width) apply as they do on the CLI.
    return click.Context(root, info_name="netkit", **root.context_settings)


def command_context(root: click.Group, name: str) -> click.Context:
    """The context of the registered command ``name``, below the root's."""
    root_ctx = root_context(root)
    command = root.get_command(root_ctx, name)
    if command is None:
        raise LookupError(f"netkit has no command {name!r}")
    return click.Context(command, info_name=name, parent=root_ctx)


def subcommand_contexts(ctx: click.Context) -> list[click.Context]:
    """A context per visible subcommand of a group, in the order --help lists them."""
    group = ctx.command
    assert isinstance(group, click.Group)
    contexts = []
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if sub is not None and not sub.hidden:
            contexts.append(click.Context(sub, info_name=name, parent=ctx))
    return contexts


def option_records(
    ctx: click.Context, *, with_help_option: bool = True
) -> Iterator[tuple[str, str]]:
    """(names and placeholder, help with default and range) per option, as --help shows them."""
    help_names = set(ctx.help_option_names)
    for param in ctx.command.get_params(ctx):
        if not isinstance(param, click.Option) or param.hidden:
            continue
        if not with_help_option and help_names & set(param.opts):
            continue
        record = param.get_help_record(ctx)
        if record is not None:
            yield record
