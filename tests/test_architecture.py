"""The shape of the package: an acyclic import graph, layers that only import downward, and
functions short enough to read (issue 11)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import dermalase

ROOT = Path(dermalase.__file__).parent

#: layers, bottom first; a module may import its own layer or the ones below it
LAYERS = (
    ("dermalase._version", "dermalase.errors", "dermalase.data", "dermalase.units",
     "dermalase.schema", "dermalase.calibration"),
    ("dermalase.tissue", "dermalase.laser"),
    ("dermalase.physics", "dermalase.io"),
    ("dermalase.healing",),
    ("dermalase.simulate",),
    ("dermalase.report",),
    ("dermalase.devices",),
    # the face map and the documents render a plan: they live in report/ (shared/design.md)
    # but sit with the planner they read (issue 33)
    ("dermalase.planner", "dermalase.sweep", "dermalase.report.facemap",
     "dermalase.report.documents"),
    ("dermalase.outcomes",),
    ("dermalase.web",),
    ("dermalase.inputs", "dermalase.validation", "dermalase.cli", "dermalase.testing",
     "dermalase"),
)

#: functions allowed over MAX_LINES, with the reason
LONG_FUNCTIONS = {
    ("physics/montecarlo.py", "_run_chunk"): "compiled photon loop (MCML's hop-drop-spin in one "
    "numba function: splitting it costs a call per photon step)",
    ("physics/montecarlo.py", "_voxel_chunk"): "the same loop on a voxel grid",
}
MAX_LINES = 80


def modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for f in ROOT.rglob("*.py"):
        parts = list(f.relative_to(ROOT.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (f, is_pkg)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the dermalase modules it imports anywhere in its code (lazy imports too)."""
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, (f, is_pkg) in mods.items():
        pkg = m if is_pkg else m.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    if sub in mods:
                        edges[m].add(sub)
                    elif target in mods:
                        edges[m].add(target)
            elif isinstance(node, ast.Import):
                edges[m] |= {a.name for a in node.names if a.name in mods}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with a cycle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in edges[v]:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def layer_of(module: str) -> int:
    best, rank = "", -1
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, rank = prefix, i
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def test_the_import_graph_is_acyclic():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    # the check itself must be able to fail: a -> b -> c -> a, d alone, e -> e
    found = cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set(), "e": {"e"}})
    assert sorted(found) == [["a", "b", "c"], ["e"]]


def test_layers_only_import_downward():
    bad = [f"{m} -> {t}" for m, targets in import_graph().items() for t in targets
           if layer_of(t) > layer_of(m)]
    assert bad == []


def test_functions_are_short():
    long = []
    for f in ROOT.rglob("*.py"):
        rel = f.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_LINES and (rel, node.name) not in LONG_FUNCTIONS:
                    long.append(f"{rel}:{node.name} ({n} lines)")
    assert long == []


@pytest.mark.parametrize("args", [["--help"], ["example", "default"], ["--version"]])
def test_commands_that_need_no_physics_import_none_of_it(args):
    """Issue 18 (start-up): the public names load on first use, so a command that needs no
    physics imports none of the heavy libraries (each costs 0.1-0.4 s at start)."""
    import subprocess
    import sys

    heavy = ("numpy", "numba", "xarray", "pydantic", "scipy", "matplotlib", "pint", "pandas")
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: sys.stderr.write('HEAVY:' + ' '.join(m for m in {heavy!r} "
            "if m in sys.modules)))\n"
            f"sys.argv = ['dermalase', *{args!r}]\n"
            "from dermalase.cli.main import main\nmain()\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.rsplit("HEAVY:", 1)[1].strip() == ""


def test_the_function_simulate_survives_the_import_of_its_subpackage():
    import dermalase
    import dermalase.simulate.scenario  # noqa: F401  (sets the parent's attribute on import)

    assert callable(dermalase.simulate) and not isinstance(dermalase.simulate, type(dermalase))


def test_a_repeated_plan_imports_no_numerical_library(tmp_path):
    """Issue 18 (warm plan < 0.3 s): a plan whose simulations are all in the store reads them
    and imports none of NumPy, SciPy, numba, pint, xarray or matplotlib (0.05-0.4 s each at
    start). The first plan fills the store (and must import them: the control)."""
    import os
    import subprocess
    import sys

    heavy = ("numpy", "scipy", "numba", "pint", "xarray", "matplotlib")
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: sys.stderr.write('HEAVY:' + ' '.join(m for m in {heavy!r} "
            "if m in sys.modules)))\n"
            "sys.argv = ['dermalase', 'plan', 'patient_perioral', '--json']\n"
            "from dermalase.cli.main import main\nmain()\n")
    env = dict(os.environ, DERMALASE_CACHE=str(tmp_path))
    loaded = []
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=300, env=env)
        assert r.returncode == 0, r.stderr
        loaded.append(r.stderr.rsplit("HEAVY:", 1)[1].split())
    assert "numpy" in loaded[0] and "numba" in loaded[0]  # the first plan simulates
    assert loaded[1] == []


def test_a_command_leaves_its_objects_out_of_the_last_collection():
    """A cold plan's last garbage collection at exit took ~0.25 s of its 2 s (numba's and
    SciPy's objects): the command line freezes the objects when the process ends, after its
    own work, so the exit skips that walk. Checked by a handler registered before the command,
    which runs after the command's (atexit runs the last registered first)."""
    import subprocess
    import sys

    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: sys.stderr.write('FROZEN:%d' % gc.get_freeze_count()))\n"
            "sys.argv = ['dermalase', '--help']\n"
            "from dermalase.cli.main import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "assert gc.get_freeze_count() == 0  # not before the end\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert int(r.stderr.rsplit("FROZEN:", 1)[1]) > 0
