"""The package's import graph has no cycles, type-only and function-level imports included:
definitions two modules share live below both (STYLE.md, "one place for each fact")."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "netkit"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The netkit modules ``path`` imports, wherever in the file the import stands."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.update(
                candidate
                for candidate in (base, *(f"{base}.{alias.name}" for alias in node.names))
                if candidate in modules
            )
    return found - {name}


def test_no_module_imports_itself_through_others() -> None:
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: _imports(path, set(paths)) for name, path in paths.items()}
    # A module's package __init__ runs first anyway: importing it from inside is no cycle.
    graph = {n: {d for d in deps if not n.startswith(d + ".")} for n, deps in graph.items()}
    cycles = []
    for start in sorted(graph):
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, path = stack.pop()
            for target in graph[node]:
                if target == start:
                    cycles.append(" -> ".join([*path, start]))
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
    assert cycles == []
