"""The manual's one source: the hand-written text of each page, read from NAME.md beside this.

netkit.md is netkit(1) and the shared conventions; conv.md, resolve.md, ... are the commands.
From these files and the click definitions, scripts/regen-docs.py generates the man pages
(man/*.1, netkit.docs.manpage) and the Markdown manual (docs/*.md, netkit.docs.markdown). The
generators write NAME, SYNOPSIS, COMMANDS and OPTIONS from click, so option text is said once,
in the option's help=; a page gives the rest.

Why text files rather than Python literals: the pages hold long prose and real terminal output
(quotes, backslashes, box drawing), which reads and diffs well as text and is pasted from a
terminal unchanged. The markup is a strict subset of Markdown, parsed here; anything else is an
error, so both generators always understand the whole page:

    ## HEADING          a section (man .SH); the first is DESCRIPTION, the last SEE ALSO
    ### Heading         a subsection (man .SS)
    a paragraph         lines up to a blank line
    - an item           a bullet; its further lines are indented by two spaces
    term                a tagged paragraph (man .TP), as in Pandoc's definition lists;
    : text              further lines indented by two spaces
    ```                 a code block, shown as written (commands and their real output)
    `code`, **bold**, *italic*   inline; code and bold are literal text, italic a placeholder

EXIT STATUS is a list of tagged paragraphs; a page without one gets netkit.md's, the statuses
every command shares. SEE ALSO is one paragraph of NAME(SECTION) references.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# The date in every page's title line; change it when the hand-written text changes.
MANUAL_DATE = "2026-12-03"

SOURCE_DIR = Path(__file__).resolve().parent

# netkit(1)'s NAME line (the commands' come from their click help).
ROOT_SUMMARY = "network diagnostics: nc, dig, ipcalc and ss in one command"

# Every command netkit plans, in the order netkit(1) describes them. A page is generated only
# for commands registered in netkit.cli.COMMANDS; the others wait here for their branch.
PAGE_MODULES = (
    "conv",
    "resolve",
    "listen",
    "connect",
    "scan",
    "bench",
    "ipc",
    "conns",
    "ifaces",
    "completion",
)


@dataclass(frozen=True, slots=True)
class Paragraph:
    lines: tuple[str, ...]  # as written; a generator joins or keeps them

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass(frozen=True, slots=True)
class Item:
    """A bullet point."""

    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass(frozen=True, slots=True)
class Definition:
    """A tagged paragraph: an option-like term and what it means."""

    term: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass(frozen=True, slots=True)
class Code:
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Subheading:
    text: str


Block = Paragraph | Item | Definition | Code | Subheading


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """The hand-written sections of one page, in order."""

    name: str  # "netkit" or a command
    sections: tuple[Section, ...]

    def section(self, heading: str) -> Section | None:
        return next((s for s in self.sections if s.heading == heading), None)

    @property
    def see_also(self) -> tuple[str, ...]:
        section = self.section("SEE ALSO")
        if section is None:
            return ()
        (paragraph,) = section.blocks
        assert isinstance(paragraph, Paragraph)
        return tuple(ref.strip() for ref in paragraph.text.split(","))

    def texts(self) -> list[str]:
        """Every piece of prose and code, for tests that look for words."""
        out: list[str] = []
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Code):
                    out += block.lines
                elif isinstance(block, Definition):
                    out += [block.term, block.text]
                else:
                    out.append(block.text)
        return out


class PageSyntaxError(ValueError):
    """A page uses markup the generators do not know."""


_HEADING = re.compile(r"^## ([A-Z][A-Z, ]*[A-Z])$")
_REFERENCE = re.compile(r"^[\w.-]+\(\w+\)$")


def parse(name: str, text: str) -> Page:  # noqa: PLR0912, PLR0915  # one pass, a branch per kind of block
    """A page's markup as sections of blocks (see the module docstring)."""
    sections: list[Section] = []
    heading: str | None = None
    blocks: list[Block] = []
    pending: list[str] = []  # the lines of the open paragraph, item or definition
    kind = ""  # "paragraph", "item", "definition"
    term = ""
    code: list[str] | None = None

    def fail(number: int, message: str) -> PageSyntaxError:
        return PageSyntaxError(f"{name}.md:{number}: {message}")

    def close_block() -> None:
        nonlocal kind
        if kind == "paragraph":
            blocks.append(Paragraph(tuple(pending)))
        elif kind == "item":
            blocks.append(Item(tuple(pending)))
        elif kind == "definition":
            blocks.append(Definition(term, tuple(pending)))
        pending.clear()
        kind = ""

    def close_section() -> None:
        close_block()
        if heading is not None:
            sections.append(Section(heading, tuple(blocks)))
        blocks.clear()

    for number, line in enumerate(text.splitlines(), 1):
        if code is not None:
            if line.rstrip() == "```":
                blocks.append(Code(tuple(code)))
                code = None
            else:
                code.append(line)
            continue
        if line != line.rstrip():
            raise fail(number, "trailing white space")
        if not line:
            close_block()
        elif line.startswith("#"):
            if line.startswith("### "):
                close_block()
                blocks.append(Subheading(line[4:]))
                continue
            match = _HEADING.match(line)
            if match is None:
                raise fail(number, "a section heading is '## UPPER CASE WORDS'")
            close_section()
            heading = match.group(1)
        elif heading is None:
            raise fail(number, "text before the first section heading")
        elif line.startswith("```"):
            close_block()
            code = []
        elif line.startswith("- "):
            close_block()
            kind, pending[:] = "item", [line[2:]]
        elif line.startswith(": "):
            if kind != "paragraph" or len(pending) != 1:
                raise fail(number, "': ' follows a term, a line of its own")
            kind, term, pending[:] = "definition", pending[0], [line[2:]]
        elif line.startswith("  "):
            if kind not in ("item", "definition"):
                raise fail(number, "an indented line continues an item or a definition")
            pending.append(line.strip())
        elif kind in ("", "paragraph"):
            kind = "paragraph"
            pending.append(line)
        else:
            raise fail(number, "continue an item or definition with lines indented by two")
    if code is not None:
        raise PageSyntaxError(f"{name}.md: a code block is not closed")
    close_section()
    page = Page(name, tuple(sections))
    _check_structure(page)
    return page


def _check_structure(page: Page) -> None:
    headings = [s.heading for s in page.sections]
    if headings[:1] != ["DESCRIPTION"] or headings[-1:] != ["SEE ALSO"]:
        raise PageSyntaxError(f"{page.name}.md: sections go from DESCRIPTION to SEE ALSO")
    if len(set(headings)) != len(headings):
        raise PageSyntaxError(f"{page.name}.md: a section heading is repeated")
    status = page.section("EXIT STATUS")
    if status is not None and not all(isinstance(b, Definition) for b in status.blocks):
        raise PageSyntaxError(f"{page.name}.md: EXIT STATUS is a list of 'status / : meaning'")
    for reference in page.see_also:
        if not _REFERENCE.match(reference):
            raise PageSyntaxError(f"{page.name}.md: SEE ALSO entry {reference!r} is not NAME(N)")


@cache
def page_for(command: str) -> Page:
    """The hand-written page of `netkit COMMAND`, or of netkit(1) itself with "netkit"."""
    path = SOURCE_DIR / f"{command}.md"
    return parse(command, path.read_text(encoding="utf-8"))


def body_sections(page: Page) -> list[Section]:
    """The sections after DESCRIPTION and before SEE ALSO, in the page's order; a page without
    an EXIT STATUS gets the statuses every command shares (netkit.md's), before EXAMPLES."""
    body = [s for s in page.sections[1:] if s.heading != "SEE ALSO"]
    if page.section("EXIT STATUS") is None:
        shared = page_for("netkit").section("EXIT STATUS")
        assert shared is not None, "netkit.md has the shared EXIT STATUS"
        at = next((i for i, s in enumerate(body) if s.heading == "EXAMPLES"), len(body))
        body.insert(at, shared)
    return body
