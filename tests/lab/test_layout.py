"""The layout is a contract: imports flow one way, runtime.core <- runtime.sim <- invariants <-
faultline, with no cycles; the protocol and the judges load no tooling; runtime/core names no clock,
scheduler or in-memory store."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("runtime", "invariants", "faultline")
# Which of our packages each layer may import (besides the standard library and its allowed third parties).
ALLOWED = {
    "runtime.core": {"runtime.core"},
    "runtime.sim": {"runtime.core", "runtime.sim"},
    "runtime.real": {"runtime.core", "runtime.real"},
    "invariants": {"runtime.core", "invariants"},
    "faultline": {"runtime", "invariants", "faultline", "failure_modes"},
}
THIRD_PARTY = {
    "runtime.core": {"attrs"},
    "runtime.sim": {"attrs"},
    "runtime.real": {"attrs", "psycopg", "redis", "pika"},
    "invariants": {"attrs"},
}
TOOLING = ("click", "rich", "prometheus_client", "yaml", "hypothesis")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.add(node.module)
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def layer_of(name: str) -> str:
    for layer in ("runtime.core", "runtime.sim", "runtime.real", "invariants", "faultline"):
        if name == layer or name.startswith(layer + "."):
            return layer
    return "runtime"


MODULES = modules()
GRAPH = {name: {i for i in imports_of(path, name) if i in MODULES and i != name} for name, path in MODULES.items()}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_flow_one_way(name):
    layer = layer_of(name)
    if layer == "runtime":  # the package's own __init__
        return
    for imported in imports_of(MODULES[name], name):
        top = imported.split(".")[0]
        if top in PACKAGES or top == "failure_modes":
            assert any(imported == allowed or imported.startswith(allowed + ".") for allowed in ALLOWED[layer]), (
                f"{name} ({layer}) imports {imported}"
            )
        elif layer in THIRD_PARTY and top not in sys.stdlib_module_names:
            assert top in THIRD_PARTY[layer], f"{name} ({layer}) imports the third-party {top}"


def test_there_are_no_import_cycles():
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node, [])


def test_the_protocol_and_the_judges_load_no_tooling():
    code = (
        f"import sys, runtime.core, runtime.sim, runtime.real.run, runtime.real.jobs, invariants\n"
        f"print(sorted(m for m in {TOOLING!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_runtime_core_names_no_clock_scheduler_or_in_memory_store():
    forbidden_names = {"Scheduler", "VirtualClock", "Store", "Queue", "History", "FaultInjector", "time", "random"}
    forbidden_attributes = {"clock", "scheduler", "now_ms", "store", "queue"}
    for name, path in MODULES.items():
        if layer_of(name) != "runtime.core":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name):
                assert node.id not in forbidden_names, f"{name} uses {node.id}"
            elif isinstance(node, ast.Attribute):
                assert node.attr not in forbidden_attributes, f"{name} reaches into .{node.attr}"


def test_no_function_is_more_complex_than_radon_grade_d():
    """Cyclomatic complexity per function, as radon grades it: nothing past D (over 30 paths)."""
    from radon.complexity import cc_rank, cc_visit

    worst = []
    for top in (*PACKAGES, "benchmarks", "tests", "failure_modes"):
        for path in sorted((ROOT / top).rglob("*.py")):
            for block in cc_visit(path.read_text(encoding="utf-8")):
                if cc_rank(block.complexity) in "EF":
                    worst.append(f"{path.relative_to(ROOT)}:{block.lineno} {block.name} ({block.complexity})")
    assert worst == []


SQL = re.compile(
    r"^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX|UNIQUE|DATABASE)\s|"
    r"DROP\s+(TABLE|INDEX|DATABASE)\s|ALTER\s+TABLE\s|PRAGMA\s|WITH\s+\w+\s+AS\s|BEGIN\b|COMMIT\b|ROLLBACK\b)"
)
SQL_ELSEWHERE = {
    "faultline/mutants.py": "a mutant's text quotes the runtime/real code it plants a bug in",
}


def _sql_strings(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        parts = node.values if isinstance(node, ast.JoinedStr) else [node]
        for part in parts:
            if isinstance(part, ast.Constant) and isinstance(part.value, str) and SQL.match(part.value):
                found.append((part.lineno, part.value.strip().splitlines()[0][:60]))
    return found


def test_no_sql_outside_runtime_real():
    """Faultline's SQL lives in runtime/real/sql/*.sql, named: runtime/real's modules load it by name
    (runtime.real.queries), every other layer asks runtime/real (a function or a port)."""
    stray = []
    for top in (*PACKAGES, "benchmarks", "failure_modes"):
        for path in sorted((ROOT / top).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where in SQL_ELSEWHERE:
                continue
            stray += [f"{where}:{line} {text}" for line, text in _sql_strings(ast.parse(path.read_text()))]
    assert stray == []


def test_every_named_query_is_used_by_its_module():
    from runtime.real.queries import FOLDER, queries

    unused = []
    for sql_file in sorted(FOLDER.glob("*.sql")):
        module = (ROOT / "runtime" / "real" / f"{sql_file.stem}.py").read_text()
        for name in queries(sql_file.stem).names():
            if f"SQL.{name}" not in module and f'"{name}"' not in module:
                unused.append(f"{sql_file.stem}.{name}")
    assert unused == []


def test_the_workflow_room_lists_its_modules() -> None:
    """runtime/core/workflow/__init__.py maps the room: every module in it is named there, and only those."""
    import runtime.core.workflow as room

    folder = ROOT / "runtime" / "core" / "workflow"
    modules = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
    named = set(re.findall(r"^- `(\w+)`:", room.__doc__ or "", re.M))
    assert named == modules
