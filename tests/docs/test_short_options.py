"""The SHORT OPTIONS section of netkit(1) is the one generated from the commands: a letter added,
removed or renamed anywhere fails here until `python scripts/short-options.py --write` runs."""

from netkit.cli import cli
from netkit.docs.short_options import (
    PAGE,
    README,
    page_section,
    readme_section,
    readme_table,
    section,
    short_options,
)


def test_the_page_lists_every_short_option_as_the_commands_define_them() -> None:
    written = page_section(PAGE.read_text())
    assert written, "netkit.md has no SHORT OPTIONS section"
    assert written.rstrip("\n") == section(cli).rstrip("\n"), (
        "run: python scripts/short-options.py --write && python scripts/regen-docs.py"
    )


def test_the_readme_table_lists_the_same_letters() -> None:
    written = readme_section(README.read_text())
    assert written, "the README has no generated short options table"
    assert written == readme_table(cli), "run: python scripts/short-options.py --write"


def test_the_anchors_letters() -> None:
    table = short_options(cli)
    # nc: -w is a timeout wherever a command has one; never a watch.
    assert set(table["-w"]) == {"--timeout"}
    # -c is how many at once, but dig's class in resolve; a count of rounds has no letter.
    assert set(table["-c"]) <= {"--connections", "--concurrency", "--class"}
    assert set(table["-c"]["--class"]) == {("resolve",)}
    # ss: -n and -p in conns, as ss -tlnp types them.
    assert ("conns",) in table["-n"]["--numeric"]
    assert ("conns",) in table["-p"]["--processes"]
    assert ("conns",) in table["-s"]["--summary"]
