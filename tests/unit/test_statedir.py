"""The state directory's layout is named in installer/statedir.py only, the service names in
installer/services/names.py and the default ports in installer/ports.py: no other module of the
engine or the wizard spells them, so moving one is a one-line change."""

import ast
import functools
import inspect
from pathlib import Path

import pytest

from installer.statedir import OperationFolder, RunFolder, StateDir

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(REPO / "installer").rglob("*.py"), *(REPO / "wizard").rglob("*.py")])

STATE_FILES = ("answers.yaml", "plan.json", "plan-log.jsonl", "events.jsonl", "nodes.json", "join-token", "admin-token",
               "facts.json")
SERVICE_NAMES = ("airlift-cluster", "airlift-agent", "airlift-registry")
PORTS = (61009, 3012, 5000, 6443)


def _paths(folder: RunFolder) -> dict[str, Path]:
    names = [n for n, v in inspect.getmembers(type(folder)) if isinstance(v, property)]
    return {n: getattr(folder, n) for n in names}


def test_every_path_lies_under_the_given_folder_and_no_two_coincide(tmp_path):
    state = StateDir(tmp_path)
    paths = {**_paths(state), "node_facts": state.node_facts("n1"), "operation": state.operation("op-1").root}
    assert all(p.is_relative_to(tmp_path) and p != tmp_path for p in paths.values())
    assert len(set(paths.values())) == len(paths)


def test_the_on_disk_names_are_the_contract(tmp_path):
    state = StateDir(str(tmp_path))  # a str is taken as well
    assert state.answers == tmp_path / "answers.yaml"
    assert state.tls_cert == tmp_path / "tls" / "tls.crt"
    assert state.node_facts("n1") == tmp_path / "facts" / "n1.json"
    assert state.installer_log == tmp_path / "logs" / "installer.log"


def test_an_operation_keeps_its_plan_and_events_as_the_install_does(tmp_path):
    op = StateDir(tmp_path).operation("remove-n1-1")
    assert isinstance(op, OperationFolder) and op.root == tmp_path / "operations" / "remove-n1-1"
    assert (op.plan.name, op.plan_log.name, op.events.name) == (
        StateDir(tmp_path).plan.name, StateDir(tmp_path).plan_log.name, StateDir(tmp_path).events.name)
    assert op.meta == op.root / "operation.json"


@functools.cache
def _literals(path: Path) -> list[ast.Constant]:
    """The constants of a module, docstrings left out (prose may name a file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in docstrings]


def _spelled(owner: str, found) -> list[str]:  # noqa: ANN001
    return [f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}"
            for path in SOURCES if path.relative_to(REPO).as_posix() != owner
            for node in _literals(path) if found(node.value)]


@pytest.mark.parametrize("name", STATE_FILES)
def test_no_module_but_statedir_spells_a_state_file(name):
    assert _spelled("installer/statedir.py", lambda v: isinstance(v, str) and name in v) == []


def test_no_module_but_the_names_module_spells_a_service_name():
    assert _spelled("installer/services/names.py", lambda v: v in SERVICE_NAMES) == []


def test_no_module_but_the_ports_module_spells_a_default_port():
    assert _spelled("installer/ports.py", lambda v: type(v) is int and v in PORTS) == []
