"""The package's shape: capability subpackages whose imports point one way, small modules and functions."""

from __future__ import annotations

import ast
from pathlib import Path

import promptkit

PACKAGE = Path(promptkit.__file__).parent
# Lower layers never import higher ones. Same-rank packages do not import each other.
RANKS = {"core": 0, "modifiers": 1, "retrieval": 2, "expansion": 3, "topicmap": 3, "rendering": 4,
         "training": 5, "evaluation": 5, "preview": 6, "cli": 7, "__main__": 8}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every promptkit module `path` imports, at the top or inside functions (type-checking blocks too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "promptkit"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "promptkit":
                target = node.module
            else:
                continue
            for alias in node.names:  # `from . import config` imports the submodule
                candidate = f"{target}.{alias.name}"
                found.add(candidate if module_path(candidate) else target)
    return found


def module_path(name: str) -> Path | None:
    base = PACKAGE.parent / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imported_modules(path) if m in modules and m != name} for name, path in modules.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "root"


def test_find_cycle_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_lazy_or_not():
    assert find_cycle(graph()) is None


def test_no_module_imports_the_package_root():
    offenders = [name for name, targets in graph().items() if "promptkit" in targets and layer(name) not in ("cli", "__main__")]
    assert offenders == []


def test_dependencies_point_one_way():
    wrong = []
    for name, targets in graph().items():
        if layer(name) == "root":
            continue
        for target in targets:
            if target != "promptkit" and layer(target) != layer(name) and RANKS[layer(target)] >= RANKS[layer(name)]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_at_most_five_top_level_modules():
    assert len(list(PACKAGE.glob("*.py"))) <= 5


def test_modules_and_functions_stay_small():
    long_modules, long_functions = [], []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 400:
            long_modules.append(module_name(path))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                limit = 45 if layer(module_name(path)) == "cli" and not node.name.startswith("_") else 80
                if node.end_lineno - node.lineno + 1 > limit:
                    long_functions.append(f"{module_name(path)}.{node.name}")
    assert long_modules == [] and long_functions == []


def test_public_api_table_matches_type_checking_imports():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    checked = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for stmt in node.body:
                checked.update({alias.name: stmt.module for alias in stmt.names})
    assert checked == promptkit._PUBLIC
    for name, module in promptkit._PUBLIC.items():
        assert getattr(promptkit, name).__module__ == f"promptkit.{module}", name
