"""The Markdown manual and the README: generated files current, every command and option in
the manual, strict page markup, and a README that stays a landing page.

That docs/ equals a fresh regeneration is checked with man/ and completions/ by
test_manpages.test_shipped_docs_equal_generated_ones (regen.out_of_date covers all three).
"""

from pathlib import Path

import click
import pytest

from netkit.cli import COMMANDS, cli
from netkit.docs import markdown, regen
from netkit.docs.pages import PageSyntaxError, parse
from netkit.docs.tree import root_context, subcommand_contexts

REPO = Path(__file__).resolve().parents[2]
README_LIMIT = 16 * 1024  # a landing page (STYLE: docs are said once); the manual is docs/


def test_the_manual_equals_a_fresh_regeneration() -> None:
    expected = regen.manual_pages()
    shipped = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "docs").glob("netkit*.md")}
    assert shipped == expected, "run: python scripts/regen-docs.py"


def test_the_readme_is_a_landing_page() -> None:
    readme = (REPO / "README.md").read_bytes()
    assert len(readme) < README_LIMIT, "the manual is netkit/docs/pages/*.md, not the README"
    text = readme.decode()
    assert "bash scripts/install.sh && ~/.local/bin/netkit conv ip 192.168.1.1" in text
    assert "bash scripts/test-all.sh" in text
    assert "python scripts/regen-docs.py" in text
    for name in COMMANDS:
        assert f"docs/netkit-{name}.md" in text, f"the README links to netkit {name}'s manual"


def _all_contexts() -> list[click.Context]:
    root = root_context(cli)
    found = [root]
    for name in sorted(COMMANDS):
        command = cli.get_command(root, name)
        assert command is not None
        ctx = click.Context(command, info_name=name, parent=root)
        found.append(ctx)
        if isinstance(command, click.Group):
            found += subcommand_contexts(ctx)
    return found


@pytest.mark.parametrize("ctx", _all_contexts(), ids=lambda c: c.command_path)
def test_every_command_and_option_is_in_the_manual(ctx: click.Context) -> None:
    page = "netkit" if ctx.parent is None else f"netkit-{ctx.command_path.split()[1]}"
    text = (REPO / "docs" / markdown.file_name(page)).read_text(encoding="utf-8")
    assert ctx.command_path in text
    for param in ctx.command.params:
        if isinstance(param, click.Option) and not param.hidden:
            for opt in param.opts + param.secondary_opts:
                assert f"`{opt}" in text or f" {opt}" in text, opt


def test_links_between_pages_resolve() -> None:
    import re

    for path in (REPO / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#]+\.md)\)", path.read_text(encoding="utf-8")):
            assert (REPO / "docs" / target).exists(), f"{path.name} links to {target}"


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("text first\n", "before the first section heading"),
        ("## DESCRIPTION\n\n- item\nlazy line\n", "indented by two"),
        ("## DESCRIPTION\n\n```\nnot closed\n", "not closed"),
        ("## Description\n", "UPPER CASE"),
        ("## DESCRIPTION\n\nx\n\n## SEE ALSO\n\nnc\n", "is not NAME"),
        ("## EXAMPLES\n\nx\n\n## SEE ALSO\n\nnc(1)\n", "from DESCRIPTION to SEE ALSO"),
        ("## DESCRIPTION\n\ntrailing \n\n## SEE ALSO\n\nnc(1)\n", "trailing white space"),
    ],
)
def test_the_page_markup_is_strict(source: str, complaint: str) -> None:
    with pytest.raises(PageSyntaxError, match=complaint):
        parse("test", source)


def test_the_page_markup_blocks() -> None:
    page = parse(
        "test",
        "## DESCRIPTION\n\nOne\nparagraph.\n\n- an item\n  continued\n\n`term`\n: meaning\n"
        "  more\n\n```\n$ netkit x\n\n  output\n```\n\n### Sub\n\n## SEE ALSO\n\nnc(1), ss(8)\n",
    )
    blocks = page.sections[0].blocks
    assert [type(b).__name__ for b in blocks] == [
        "Paragraph", "Item", "Definition", "Code", "Subheading",
    ]  # fmt: skip
    assert blocks[0].text == "One paragraph." and blocks[1].text == "an item continued"
    assert blocks[3].lines == ("$ netkit x", "", "  output")  # type: ignore[union-attr]
    assert page.see_also == ("nc(1)", "ss(8)")


def test_markdown_escapes_click_text() -> None:
    assert markdown.escape("[default: 5; 0<=x] a_b *c*") == "\\[default: 5; 0\\<=x\\] a\\_b \\*c\\*"
    assert markdown.escape("- not a list") == "\\- not a list"
