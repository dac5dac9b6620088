"""The SHORT OPTIONS section of netkit(1): every one-letter option of every command, read from
the click definitions, so the table cannot drift from the commands.

`python scripts/short-options.py --write` puts the section into netkit/docs/pages/netkit.md;
tests/docs/test_short_options.py fails when the page and the commands disagree.
"""

import textwrap
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import click

from netkit.docs.tree import root_context, subcommand_contexts

PAGE = Path(__file__).resolve().parent / "pages" / "netkit.md"
HEADING = "## SHORT OPTIONS"

INTRO = """\
Every one-letter option of every command, read from the commands themselves. A letter keeps the
meaning it has in the tool the command stands in for: nc's in **connect** and **listen** (**-w**
timeout, **-s** source address, **-p** port, **-z**, **-C**, ncat's **-e**), ss's in **conns**
(where **-n** and **-p** are accepted and change nothing), dig's in **resolve** (**-t**, **-x**,
**-p**, **-f**), wrk's in **bench** (**-c** connections, **-d** duration). Across commands
**-w** is always a timeout and **-c** always how many at once (connections or concurrency).
**-h** (help) works everywhere and is not listed."""

# Options without a long name are described here rather than by their per-command help.
_NO_LONG_NAME = {"-4": "IPv4 only", "-6": "IPv6 only"}


def _leaf_contexts(ctx: click.Context) -> Iterator[click.Context]:
    if isinstance(ctx.command, click.Group):
        for sub in subcommand_contexts(ctx):
            yield from _leaf_contexts(sub)
    else:
        yield ctx


def _path(ctx: click.Context) -> tuple[str, ...]:
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return tuple(reversed(names))


def short_options(root: click.Group) -> dict[str, dict[str, list[tuple[str, ...]]]]:
    """letter -> meaning (its long option) -> the commands (as paths) where it means that."""
    table: dict[str, dict[str, list[tuple[str, ...]]]] = defaultdict(lambda: defaultdict(list))
    ctx = root_context(root)
    help_names = set(ctx.help_option_names)
    contexts = [ctx, *_leaf_contexts(ctx)]
    for command_ctx in contexts:
        for param in command_ctx.command.get_params(command_ctx):
            if not isinstance(param, click.Option) or param.hidden:
                continue
            if help_names & set(param.opts):
                continue
            names = [*param.opts, *param.secondary_opts]
            longs = [name for name in names if name.startswith("--")]
            for letter in (name for name in names if not name.startswith("--")):
                meaning = longs[0] if longs else _NO_LONG_NAME.get(letter, param.name or "")
                table[letter][meaning].append(_path(command_ctx))
    return table


def _commands(paths: list[tuple[str, ...]], all_subcommands: dict[str, set[str]]) -> str:
    """bench mux, tcp, udp, unix -> 'bench'; connect tcp, udp -> 'connect (tcp, udp)'."""
    by_parent: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        parent = path[0] if path else "netkit"
        by_parent[parent].append(" ".join(path[1:]))
    words = []
    for parent in sorted(by_parent):
        subs = sorted(set(by_parent[parent]) - {""})
        if not subs or set(subs) == all_subcommands.get(parent):
            words.append(f"**{parent}**")
        else:
            words.append(f"**{parent}** ({', '.join(subs)})")
    return ", ".join(words)


def _subcommands(root: click.Group) -> dict[str, set[str]]:
    ctx = root_context(root)
    found: dict[str, set[str]] = {}
    for sub in subcommand_contexts(ctx):
        if isinstance(sub.command, click.Group):
            found[sub.info_name or ""] = {" ".join(_path(c)[1:]) for c in _leaf_contexts(sub)}
    return found


def _letter_order(letter: str) -> tuple[str, bool, str]:
    bare = letter.lstrip("-")
    return (bare.lower(), bare.isupper(), bare)


def _meaning(meaning: str) -> str:
    return f"**{meaning}**" if meaning.startswith("--") else meaning


def section(root: click.Group) -> str:
    """The whole section, heading to last definition, as Markdown for the page."""
    table = short_options(root)
    groups = _subcommands(root)
    lines = [HEADING, "", INTRO, ""]
    for letter in sorted(table, key=_letter_order):
        meanings = table[letter]
        parts = [
            f"{_meaning(meaning)}: {_commands(paths, groups)}."
            for meaning, paths in sorted(meanings.items())
        ]
        text = textwrap.wrap(
            ": " + " ".join(parts), width=100, subsequent_indent="  ", break_on_hyphens=False
        )
        lines += [f"**{letter}**", *text, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def page_section(text: str) -> str:
    """The SHORT OPTIONS section as it stands in the page's text (empty when missing)."""
    start = text.find(HEADING + "\n")
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(HEADING))
    return text[start : end + 1 if end >= 0 else len(text)]


def write_section(root: click.Group, page: Path = PAGE) -> bool:
    """Put the generated section into the page (before ENVIRONMENT when new); True if changed."""
    text = page.read_text()
    current = page_section(text)
    wanted = section(root) + "\n"
    if current:
        updated = text.replace(current, wanted)
    else:
        anchor = text.index("## ENVIRONMENT\n")
        updated = text[:anchor] + wanted + text[anchor:]
    if updated == text:
        return False
    page.write_text(updated)
    return True
