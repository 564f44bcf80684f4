"""rolecat.classcode: the dataclasses' methods taken from the file beside the bytecode are
the very methods ``dataclasses`` compiles; the file is written as bytecode is, read only
when it is this interpreter's, and never touches a dataclass outside rolecat."""

from __future__ import annotations

import dataclasses
import json
import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rolecat import classcode

ROOT = Path(__file__).resolve().parents[2]

# Prints, for every dataclass of every rolecat module, a description of each method that
# dataclasses generated (code, names, constants, annotations, defaults), and the number of
# texts the process compiled itself.
DESCRIBE = r"""
import dataclasses, importlib, json, pkgutil, sys, types
import rolecat
from rolecat import classcode
if sys.argv[1:] == ["stdlib"]:
    del dataclasses.exec  # dataclasses as Python ships it: no table, the builtin exec

def code(c):
    return [c.co_name, c.co_qualname, c.co_filename, c.co_firstlineno, c.co_argcount,
            c.co_posonlyargcount, c.co_kwonlyargcount, c.co_flags, c.co_code.hex(),
            c.co_linetable.hex(), c.co_exceptiontable.hex(), list(c.co_names),
            list(c.co_varnames), list(c.co_freevars), list(c.co_cellvars),
            [code(k) if isinstance(k, types.CodeType) else repr(k) for k in c.co_consts]]

methods = {}
for info in pkgutil.walk_packages(rolecat.__path__, "rolecat."):
    if info.name.endswith(".__main__"):
        continue
    module = importlib.import_module(info.name)
    for cls in vars(module).values():
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == info.name):
            continue
        for name, fn in sorted(vars(cls).items()):
            fn = getattr(fn, "__wrapped__", fn)  # __repr__ under reprlib's recursive_repr
            if isinstance(fn, types.FunctionType) and fn.__code__.co_filename == "<string>":
                methods[f"{fn.__module__}.{fn.__qualname__}"] = [
                    code(fn.__code__), repr(fn.__annotations__), repr(fn.__defaults__),
                    repr(fn.__kwdefaults__), fn.__module__, sorted(fn.__globals__) == sorted(vars(module)),
                ]
print(json.dumps({"methods": methods, "compiled": len(classcode.compiled())}))
"""


def _run(
    script: str, prefix: Path, *, write: bool, check: bool = True, args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh python whose bytecode (and so the classes' file) is under
    ``prefix``; ``write``: Python may write bytecode (``PYTHONDONTWRITEBYTECODE`` unset)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    env["PYTHONPATH"] = str(ROOT / "src")
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
    )


def _describe(prefix: Path, *, write: bool, stdlib: bool = False) -> dict[str, Any]:
    """``DESCRIBE``'s output; ``stdlib``: with dataclasses as Python ships it."""
    done = _run(DESCRIBE, prefix, write=write, args=("stdlib",) if stdlib else ())
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _table_file(prefix: Path) -> Path:
    found = list(prefix.rglob("classcode.*" + classcode._SUFFIX))
    assert len(found) <= 1, found
    return found[0] if found else prefix / "absent"


COMPILE_ALL = "from rolecat import classcode; print(classcode.compile_all())"


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The methods as Python's dataclasses makes them, with no table, none written."""
    prefix = tmp_path_factory.mktemp("none")
    described = _describe(prefix, write=False, stdlib=True)
    assert not _table_file(prefix).exists()
    return described


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A bytecode prefix, and the file ``compile_all`` wrote in it; tests copy it."""
    prefix = tmp_path_factory.mktemp("written")
    count = int(_run(COMPILE_ALL, prefix, write=False).stdout)
    assert count > 800  # every method of every rolecat dataclass
    return prefix, _table_file(prefix)


def _holding(tmp_path: Path, written: tuple[Path, Path]) -> Path:
    """A bytecode prefix of this test's own holding a copy of the ``written`` file."""
    prefix, path = tmp_path / "p", written[1]
    copy = prefix / path.relative_to(written[0])
    copy.parent.mkdir(parents=True)
    copy.write_bytes(path.read_bytes())
    return prefix


def test_methods_from_the_file_are_the_methods_dataclasses_compiles(
    tmp_path: Path, plain: dict[str, Any], written: tuple[Path, Path]
) -> None:
    cached = _describe(_holding(tmp_path, written), write=False)
    assert cached["compiled"] == 0  # every text found in the file
    assert len(plain["methods"]) > 600  # module-level classes (some are nested or local)
    assert cached["methods"] == plain["methods"]
    compiled = _describe(tmp_path / "none", write=False)  # no file: each text compiled
    assert compiled["compiled"] > 800
    assert compiled["methods"] == plain["methods"]


def test_a_run_adds_what_it_compiled_at_exit_unless_bytecode_is_not_written(tmp_path: Path) -> None:
    script = "import rolecat.pipeline, rolecat.model.catalog; from rolecat import classcode; print(len(classcode.compiled()))"
    quiet = tmp_path / "quiet"
    assert int(_run(script, quiet, write=False).stdout) > 0
    assert not _table_file(quiet).exists()  # PYTHONDONTWRITEBYTECODE: nothing written
    first = tmp_path / "first"
    assert int(_run(script, first, write=True).stdout) > 0
    assert _table_file(first).is_file()
    assert int(_run(script, first, write=True).stdout) == 0  # the second run compiles none
    # a run needing more adds to the file, keeping what was there
    more = "import rolecat.pipeline, rolecat.deploy.deployment; from rolecat import classcode; print(len(classcode.compiled()))"
    assert int(_run(more, first, write=True).stdout) > 0
    assert int(_run(more, first, write=True).stdout) == 0
    assert int(_run(script, first, write=True).stdout) == 0


@pytest.mark.parametrize(
    "damage",
    ["empty", "truncated", "other magic", "other optimisation", "not a dict", "a module's table damaged"],
)
def test_a_file_that_does_not_read_back_counts_as_empty(
    tmp_path: Path, damage: str, plain: dict[str, Any], written: tuple[Path, Path]
) -> None:
    prefix = _holding(tmp_path, written)
    path = _table_file(prefix)
    data = path.read_bytes()
    marker = data[:5]
    if damage == "empty":
        data = b""
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "other magic":
        data = bytes([data[0] ^ 1]) + data[1:]
    elif damage == "other optimisation":
        data = data[:4] + bytes([data[4] + 1]) + data[5:]
    elif damage == "not a dict":
        data = marker + marshal.dumps([1, 2])
    else:
        index = marshal.loads(data[5:])
        index = {module: table[: len(table) // 2] for module, table in index.items()}
        data = marker + marshal.dumps(index)
    path.write_bytes(data)
    described = _describe(prefix, write=False)
    assert described["compiled"] > 400  # compiled as if there were no file ...
    assert described["methods"] == plain["methods"]  # ... the same


def test_reading_refuses_what_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "t"
    assert classcode.read_index(None) == {}
    assert classcode.read_index(str(tmp_path / "absent")) == {}
    path.write_bytes(classcode._marker() + marshal.dumps({"rolecat.x": "not bytes"}))
    assert classcode.read_index(str(path)) == {}
    path.write_bytes(classcode._marker() + marshal.dumps({1: b""}))
    assert classcode.read_index(str(path)) == {}
    assert classcode.read_table(None) == {}
    assert classcode.read_table(marshal.dumps({"text": 1})) == {}
    assert classcode.read_table(marshal.dumps({b"text": compile("1", "<string>", "exec")})) == {}
    code = compile("x = 1", "<string>", "exec")
    classcode.write_index(str(path), {"rolecat.x": marshal.dumps({"x = 1": code})})
    assert classcode.read_table(classcode.read_index(str(path))["rolecat.x"]) == {"x = 1": code}
    assert [p.name for p in tmp_path.iterdir()] == ["t"]  # no temporary file left


def test_a_file_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    prefix = tmp_path / "p"
    script = (
        "from rolecat import classcode; import os; os.makedirs(classcode.table_path()); "
        "import rolecat.pipeline; print(len(classcode.compiled()))"
    )
    done = _run(script, prefix, write=True)
    assert int(done.stdout) > 0
    assert done.stderr == ""
    assert _table_file(prefix).is_dir()  # left as it was


def test_only_the_process_that_started_writes(tmp_path: Path) -> None:
    script = (
        "import os; from rolecat import classcode; import rolecat.pipeline\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    classcode._save(); os._exit(0)\n"
        "os.waitpid(pid, 0); print(os.path.exists(classcode.table_path()))\n"
        "os._exit(0)\n"  # and no atexit here: only the child could have written
    )
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    assert _run(script, tmp_path / "p", write=True).stdout.strip() == "False"


@dataclasses.dataclass(frozen=True)
class _Outside:
    """A dataclass of a module outside rolecat (this test module)."""

    name: str
    size: int = 0


def test_dataclasses_outside_rolecat_and_other_exec_calls_go_to_the_builtin() -> None:
    before = classcode.compiled()
    classcode.install()

    @dataclasses.dataclass(frozen=True)
    class Local:
        a: int

    assert classcode.compiled() == before
    assert Local(1) == Local(1) and _Outside("x") != _Outside("y")
    namespace: dict[str, Any] = {"__name__": "rolecat.fake"}
    classcode._exec(compile("y = 2", "<string>", "exec"), namespace)  # code, not text
    assert namespace["y"] == 2 and classcode.compiled() == before
    assert dataclasses.exec is classcode._exec  # type: ignore[attr-defined]
