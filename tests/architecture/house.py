"""Reading the code base for the architecture tests: the layering table of docs/ARCHITECTURE.md, modules by
dotted name, their imports (an AST walk: module level, inside functions and under TYPE_CHECKING alike), import
circles between files, and sizes. The checks take their inputs as arguments so planted violations can be fed
to the very same functions."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARCHITECTURE_DOC = REPO / "docs" / "ARCHITECTURE.md"
# The checked folders and the root their module names are relative to.
CHECKED = {"shared": REPO / "shared", "functions": REPO, "local": REPO, "bench": REPO}


@dataclass
class Module:
    name: str  # dotted: fivetran_recovery.triage.engine, local.stack, functions.remediate.app, bench.rca_eval
    path: Path
    root: Path
    imports: dict[str, int] = field(default_factory=dict)  # imported module -> first line


@dataclass(frozen=True)
class Room:
    name: str
    floor: int
    exact: bool = False  # written `name$`: that module alone, not its submodules

    def holds(self, module: str) -> bool:
        return module == self.name or (not self.exact and module.startswith(self.name + "."))


def parse_layering(markdown: str) -> list[Room]:
    """The rooms of the table between `<!-- layering:begin -->` and `<!-- layering:end -->`: rows
    `| floor | name | `room`, `room$`, ... |`."""
    match = re.search(r"<!-- layering:begin -->(.*?)<!-- layering:end -->", markdown, re.S)
    if match is None:
        raise ValueError("no layering table (<!-- layering:begin --> ... <!-- layering:end -->)")
    rooms = []
    for line in match.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].isdigit():
            continue
        for name in re.findall(r"`([^`]+)`", cells[2]):
            rooms.append(Room(name.rstrip("$"), int(cells[0]), exact=name.endswith("$")))
    names = [r.name for r in rooms]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"rooms listed twice: {duplicates}")
    return rooms


def room_of(module: str, rooms: list[Room]) -> Room | None:
    """The room with the longest name holding `module`."""
    holding = [r for r in rooms if r.holds(module)]
    return max(holding, key=lambda r: len(r.name)) if holding else None


def layering_problems(modules: dict[str, Module], rooms: list[Room]) -> list[str]:
    """Modules in no room, and imports that run up a floor (file:line, both rooms and floors)."""
    problems = []
    for module in sorted(modules.values(), key=lambda m: m.name):
        home = room_of(module.name, rooms)
        if home is None:
            problems.append(f"{module.name}: in no room of the layering table")
            continue
        for target, line in sorted(module.imports.items()):
            there = room_of(target, rooms)
            if there is not None and there.floor > home.floor:
                problems.append(
                    f"{_shown(module.path)}:{line}: {module.name} (floor {home.floor}, {home.name})"
                    f" imports {target} (floor {there.floor}, {there.name}): up a floor"
                )
    return problems


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def python_files(checked: dict[str, Path], repo: Path) -> list[tuple[Path, Path]]:
    """(file, module root) for every .py file under the checked folders."""
    return [
        (path, root)
        for folder, root in checked.items()
        for path in sorted((repo / folder).rglob("*.py"))
        if "__pycache__" not in path.parts
    ]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def collect(paths: Iterable[tuple[Path, Path]]) -> dict[str, Module]:
    """Modules for (file, root) pairs, with their imports resolved to modules of the same set."""
    modules = {}
    for path, root in paths:
        name = module_name(path, root)
        modules[name] = Module(name, path, root)
    for module in modules.values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
        package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
        for node in ast.walk(tree):
            for target in _targets(node, package):
                resolved = _resolve(target, modules)
                if resolved and resolved != module.name:
                    module.imports.setdefault(resolved, node.lineno)
    return modules


def _targets(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: from . import x / from ..a import b
            anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        # `from a import b` names module a.b when there is one, else attribute b of a; the implicit import of a
        # parent package's __init__ is not counted (it would make every package a circle with its modules).
        return [f"{base}.{alias.name}" for alias in node.names]
    return []


def _resolve(target: str, modules: dict[str, Module]) -> str | None:
    """The longest known module `target` names (`a.b.c` may be module a.b's attribute c)."""
    parts = target.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted: files importing each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(name: str) -> None:
        work = [(name, iter(sorted(modules[name].imports)))]
        index[name] = low[name] = counter[0]
        counter[0] += 1
        stack.append(name)
        on_stack.add(name)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(modules[nxt].imports))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))

    for name in sorted(modules):
        if name not in index:
            visit(name)
    return sorted(found)


def long_functions(path: Path, limit: int) -> list[tuple[str, int]]:
    """(qualified name, lines) of every function or method longer than `limit` lines (decorators excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                if length > limit:
                    found.append((f"{prefix}{child.name}", length))
                walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")

    walk(tree, "")
    return found


def size_problems(
    files: Iterable[Path], *, max_module_lines: int, max_function_lines: int, exempt: dict[str, str]
) -> list[str]:
    """Modules over `max_module_lines` lines and functions over `max_function_lines`, except the exempt ones
    (keys `path` for a module, `path:qualified.name` for a function, paths as shown)."""
    problems = []
    for path in files:
        shown = _shown(path)
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > max_module_lines and shown not in exempt:
            problems.append(f"{shown}: {lines} lines (limit {max_module_lines})")
        for name, length in long_functions(path, max_function_lines):
            if f"{shown}:{name}" not in exempt:
                problems.append(f"{shown}:{name}: {length} lines (limit {max_function_lines})")
    return problems
