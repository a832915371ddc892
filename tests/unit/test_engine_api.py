"""The wizard's engine Protocol stays true: the real Engine and the tests' stand-in both keep it,
and it names exactly what wizard/ calls (mypy checks the same statically in `make lint`)."""

import inspect
import re
from pathlib import Path

import pytest

from installer.engine import Engine
from installer.engine_api import EngineAPI
from tests.unit.engine_bundle import make_bundle
from tests.unit.engine_double import EngineDouble

REPO = Path(__file__).resolve().parents[2]
METHODS = sorted(name for name, value in vars(EngineAPI).items()
                 if inspect.isfunction(value) and not name.startswith("_"))
ATTRIBUTES = sorted(EngineAPI.__annotations__)
# `engine.name` and `_engine().name` in wizard/, not `installer.engine.Engine` in prose.
WIZARD_CALL = re.compile(r"(?:(?<![\w.])engine|\b_engine\(\))\.(\w+)")


@pytest.fixture(params=["Engine", "EngineDouble"])
def engine(request, tmp_path):
    if request.param == "Engine":
        return Engine(make_bundle(tmp_path / "hello-1.0.0"), tmp_path / "state", tmp_path / "root")
    return EngineDouble(tmp_path / "state")


def test_the_engine_and_its_stand_in_satisfy_the_protocol(engine):
    assert isinstance(engine, EngineAPI)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("implementation", [Engine, EngineDouble], ids=["Engine", "EngineDouble"])
def test_each_method_takes_the_protocols_arguments(implementation, name):
    wanted = inspect.signature(getattr(EngineAPI, name)).parameters
    given = inspect.signature(getattr(implementation, name)).parameters
    for param in wanted.values():
        assert param.name in given, f"{implementation.__name__}.{name} lacks the argument {param.name}"
        assert given[param.name].default == param.default, f"{implementation.__name__}.{name}({param.name})"
    extra = [p for p in given.values() if p.name not in wanted and p.default is inspect.Parameter.empty]
    assert not extra, f"{implementation.__name__}.{name} needs arguments the wizard does not pass: {extra}"


def test_the_protocol_names_exactly_what_the_wizard_calls():
    called = {m.group(1) for path in (REPO / "wizard").glob("*.py") for m in WIZARD_CALL.finditer(path.read_text())}
    assert called == set(METHODS) | set(ATTRIBUTES)
