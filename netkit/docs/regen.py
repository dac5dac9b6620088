"""Write, or check, every generated documentation file: completions/, man/ and docs/.

python scripts/regen-docs.py            rewrite what changed, remove stale man pages
python scripts/regen-docs.py --check    exit 1 listing what is out of date (CI, tests)
"""

import argparse
import sys
from pathlib import Path

from netkit.cli import COMMANDS, cli
from netkit.cli.completion import SHELLS, SHIPPED_FILES, completion_script
from netkit.docs import manpage, markdown
from netkit.docs.pages import page_for

REPO = Path(__file__).resolve().parents[2]
MAN_DIR = "man"
MANUAL_DIR = "docs"


def man_pages() -> dict[str, str]:
    """man/ file name -> content, for netkit(1) and every command registered in COMMANDS."""
    commands = sorted(COMMANDS)
    pages = {"netkit.1": manpage.root_page(cli, commands, page_for("netkit"))}
    for name in commands:
        pages[f"netkit-{name}.1"] = manpage.command_page(cli, name, page_for(name))
    return pages


def manual_pages() -> dict[str, str]:
    """docs/ file name -> content: the Markdown manual, a file per man page."""
    commands = sorted(COMMANDS)
    pages = {"netkit.md": markdown.root_page(cli, commands, page_for("netkit"))}
    for name in commands:
        pages[f"netkit-{name}.md"] = markdown.command_page(cli, name, page_for(name))
    return pages


def expected_files() -> dict[str, str]:
    """Repository-relative path -> the content the generators produce now."""
    files = {SHIPPED_FILES[shell]: completion_script(shell, cli) for shell in SHELLS}
    files.update({f"{MAN_DIR}/{name}": text for name, text in man_pages().items()})
    files.update({f"{MANUAL_DIR}/{name}": text for name, text in manual_pages().items()})
    return files


def stale_pages(repo: Path, expected: dict[str, str]) -> list[str]:
    """Pages in man/ and docs/ that no registered command produces any more."""
    shipped = [
        f"{directory}/{path.name}"
        for directory, pattern in ((MAN_DIR, "netkit*.1"), (MANUAL_DIR, "netkit*.md"))
        for path in sorted((repo / directory).glob(pattern))
    ]
    return [path for path in shipped if path not in expected]


def out_of_date(repo: Path = REPO) -> list[str]:
    """Generated files whose shipped copy differs, is missing, or should not exist."""
    expected = expected_files()
    differing = [
        path
        for path, text in expected.items()
        if not (repo / path).exists() or (repo / path).read_text(encoding="utf-8") != text
    ]
    return differing + stale_pages(repo, expected)


def regenerate(repo: Path = REPO) -> list[str]:
    """Bring every generated file up to date; return the paths that changed."""
    expected = expected_files()
    changed = []
    for path, text in expected.items():
        target = repo / path
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(path)
    for path in stale_pages(repo, expected):
        (repo / path).unlink()
        changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is out of date")
    args = parser.parse_args(argv)
    if args.check:
        stale = out_of_date()
        for path in stale:
            print(f"out of date: {path}", file=sys.stderr)
        if stale:
            print("run: python scripts/regen-docs.py", file=sys.stderr)
        return 1 if stale else 0
    for path in regenerate():
        print(f"wrote {path}")
    return 0
