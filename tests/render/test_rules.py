"""The rendering layer's rules, checked on the source: rich is reached only through
netkit/render/, and only in ways that cannot read data as markup.

rich parses a plain string as markup in more places than the console's ``markup`` setting
covers (Panel titles, TextColumn, spinner text), so the safe way is kept the only way: text
objects are made in one function (``tables.data``), every TextColumn says ``markup=False``, and
no code asks for markup at all.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "netkit"
SOURCES = sorted(PACKAGE.rglob("*.py"))
TEXT_FACTORY = PACKAGE / "render" / "tables.py"


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_rich_is_reached_only_safely(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    in_render = path.parent.name == "render"
    progress_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "rich.progress"
        for alias in node.names
        if alias.name == "Progress"
    }
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            modules.append(getattr(node, "module", None) or "")
            if any(m == "rich" or m.startswith("rich.") for m in modules):
                assert in_render, f"{path.name}:{node.lineno} imports rich outside netkit/render"
    for call in _calls(tree):
        where = f"{path.name}:{call.lineno}"
        name = _name(call)
        assert name != "from_markup", f"{where}: markup is never parsed"
        for keyword in call.keywords:
            if keyword.arg == "markup":
                assert isinstance(keyword.value, ast.Constant) and keyword.value.value is False, (
                    f"{where}: markup is only ever switched off"
                )
        if name in ("Text", "Console", "_Console"):
            assert path == TEXT_FACTORY, f"{where}: {name}() is made in render/tables.py only"
        if name == "TextColumn":
            assert any(k.arg == "markup" for k in call.keywords), f"{where}: markup=False"
        if name in progress_names:
            assert call.args, f"{where}: a Progress names its columns (the default parses markup)"


def test_consoles_are_made_without_markup() -> None:
    tree = ast.parse(TEXT_FACTORY.read_text())
    consoles = [call for call in _calls(tree) if _name(call) in ("Console", "_Console")]
    assert consoles
    for call in consoles:
        keywords = {k.arg: k.value for k in call.keywords}
        for setting in ("markup", "emoji", "highlight"):
            value = keywords.get(setting)
            assert isinstance(value, ast.Constant) and value.value is False, setting


WRITERS = {"print", "echo", "secho"}
CORES = [
    path
    for path in SOURCES
    if path.relative_to(PACKAGE).parts[0] not in ("render", "cli", "docs", "__main__.py")
]


@pytest.mark.parametrize("path", CORES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_cores_leave_writing_to_the_rendering_layer(path: Path) -> None:
    """A core that printed would put outside text on the terminal without the render layer's
    escaping; cores return data (the ipc child's printf goes through visible() by design)."""
    tree = ast.parse(path.read_text(), str(path))
    for call in _calls(tree):
        where = f"{path.name}:{call.lineno}"
        assert _name(call) not in WRITERS, f"{where}: a core does not print"
        function = call.func
        if isinstance(function, ast.Attribute) and function.attr == "write":
            target = ast.unparse(function.value)
            assert target not in ("sys.stdout", "sys.stderr"), f"{where}: writes to {target}"
