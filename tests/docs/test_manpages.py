"""Man pages: shipped pages equal freshly generated ones, lint clean, render, cover every option."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest

from netkit.cli import COMMANDS, cli
from netkit.docs import regen
from netkit.docs.pages import PAGE_MODULES, Code, Definition, page_for
from tests.support import require_tool

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "man").glob("*.1"))


def test_shipped_docs_equal_generated_ones() -> None:
    """When this fails the CLI changed: run `python scripts/regen-docs.py` and commit."""
    assert regen.out_of_date() == []


def test_every_registered_command_has_a_page() -> None:
    names = {p.name for p in SHIPPED}
    assert names == {"netkit.1", *(f"netkit-{name}.1" for name in COMMANDS)}
    assert set(COMMANDS) <= set(PAGE_MODULES)


def test_regenerate_writes_checks_and_removes_stale_pages(tmp_path: Path) -> None:
    assert "man/netkit.1" in regen.out_of_date(tmp_path)
    (tmp_path / "man").mkdir()
    (tmp_path / "man" / "netkit-retired.1").write_text(".TH OLD 1\n")
    changed = regen.regenerate(tmp_path)
    assert "man/netkit-retired.1" in changed
    assert "completions/_netkit" in changed
    assert "docs/netkit-conv.md" in changed
    assert not (tmp_path / "man" / "netkit-retired.1").exists()
    assert regen.out_of_date(tmp_path) == []
    assert regen.regenerate(tmp_path) == []


def test_check_mode_of_the_script(tmp_path: Path) -> None:
    script = REPO / "scripts" / "regen-docs.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def mandoc_lint(path: Path) -> str:
    mandoc = require_tool("mandoc")
    result = subprocess.run([mandoc, "-Tlint", "-W", "all", str(path)], capture_output=True,
                            text=True, timeout=30, check=False)  # fmt: skip
    return (result.stdout + result.stderr).strip()


@pytest.mark.parametrize("page", SHIPPED, ids=[p.name for p in SHIPPED])
def test_mandoc_lint_is_silent(page: Path) -> None:
    assert mandoc_lint(page) == ""


@pytest.mark.parametrize("page", SHIPPED, ids=[p.name for p in SHIPPED])
def test_man_renders_without_warnings(page: Path) -> None:
    man = require_tool("man")
    result = subprocess.run(
        [man, "--warnings", "-l", str(page)],
        capture_output=True, text=True, timeout=30, check=False,
        env={**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    text = re.sub(".\b", "", result.stdout)  # grotty's overstrike bold and underline
    for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO"):
        assert re.search(rf"^{heading}$", text, re.MULTILINE), heading
    assert "\\f" not in text


def test_roff_markup_and_escapes() -> None:
    from netkit.docs import roff

    assert (
        roff.inline("**--port** *N* or `2**32`")
        == "\\fB\\-\\-port\\fR \\fIN\\fR or \\fB\\%2**32\\fR"
    )
    assert roff.inline("`a *b* c` and a*b") == "\\fB\\%a \\%*b* \\%c\\fR and a*b"
    assert roff.escape(".hidden") == "\\&.hidden"
    assert roff.escape("b\u00fccher \\n") == "b\\[u00FC]cher \\en"
    assert all(len(line) <= roff.SOURCE_WIDTH for line in roff.wrap("word " * 100))
    assert roff.wrap("a " * 50 + ".b")[-1].startswith(("\\&.", "a"))


def _commands(name: str) -> list[click.Command]:
    ctx = click.Context(cli, info_name="netkit")
    command = cli.get_command(ctx, name)
    assert command is not None
    found = [command]
    if isinstance(command, click.Group):
        sub_ctx = click.Context(command, info_name=name, parent=ctx)
        found += [c for n in command.list_commands(sub_ctx)
                  if (c := command.get_command(sub_ctx, n)) is not None]  # fmt: skip
    return found


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_is_documented(name: str) -> None:
    text = (REPO / "man" / f"netkit-{name}.1").read_text()
    for command in _commands(name):
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                for opt in param.opts + param.secondary_opts:
                    assert f"\\fB{opt.replace('-', chr(92) + '-')}\\fR" in text, opt


def _hand_written_text(name: str) -> str:
    """Everything hand-written for a command's page that may name its options: the prose
    (less code spans that quote another tool's command line) and its examples' command lines."""
    page = page_for(name)
    texts = []
    for section in page.sections:
        for block in section.blocks:
            if isinstance(block, Code):
                texts += [line.removeprefix("$ ") for line in block.lines
                          if line.removeprefix("$ ").startswith(f"netkit {name}")]  # fmt: skip
            else:
                text = f"{block.term} {block.text}" if isinstance(block, Definition) else ""
                text = text or getattr(block, "text", "")
                quoted = r"`(?!netkit " + name + r"\b)[a-z][^`]*`"  # another tool's command
                texts.append(re.sub(quoted, "", text))
    return " ".join(texts)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_options_in_the_hand_written_text_exist(name: str) -> None:
    """Catch hand-written text that names an option the command does not have (a renamed
    option: fix netkit/docs/pages/NAME.md)."""
    known = {"--help", "-h"}
    for command in _commands(name):
        for param in command.params:
            known.update(param.opts + param.secondary_opts if isinstance(param, click.Option)
                         else [])  # fmt: skip
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][\w-]*", _hand_written_text(name)))
    assert mentioned <= known, f"not options of netkit {name}: {sorted(mentioned - known)}"


def test_wheel_installs_the_man_pages(tmp_path: Path) -> None:
    """pyproject maps man/ to share/man/man1 (hatch shared-data): check it in a real wheel.
    pip fetches hatchling for the build as `pip install -e .` already did."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("netkit-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    data = sorted(n.split("/", 2)[2] for n in names if ".data/data/share/man/man1/" in n)
    assert data == sorted(f"share/man/man1/{p.name}" for p in SHIPPED)
