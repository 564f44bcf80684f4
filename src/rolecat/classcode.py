"""The compiled code of rolecat's dataclasses' methods, kept beside rolecat's bytecode.

``@dataclass`` writes a class's ``__init__``, ``__repr__``, ``__eq__`` and ``__hash__``
(and a frozen class's ``__setattr__`` and ``__delattr__``) as source text, and compiles
that text with ``exec`` whenever the class is defined: in every process, at every import.
A ``validate`` of 1,000 roles defines 71 of rolecat's dataclasses, which is 409 texts
compiled in about 35 ms of its 0.35 s, more than any other import.  Python keeps a
module's bytecode in ``__pycache__`` so that importing it compiles nothing; this keeps
the code of those texts the same way.

``install`` (``import rolecat`` runs it) gives the ``dataclasses`` module an ``exec`` of
its own: a module global, which its functions find before the builtin.  For a text that
defines a method of a class in a ``rolecat`` module, it takes the code from that module's
table of compiled texts, compiling and adding the text when it is not there, and runs that code in
the globals and namespace ``exec`` was given.  Compiling is a function of the text and the
interpreter alone, so the code found is the code ``exec`` would have compiled (compiled
as ``exec`` compiles it for ``dataclasses``: inheriting no ``__future__`` flags).  Every
other call goes to the builtin ``exec`` unchanged.

The tables are a file beside this module's bytecode (``importlib.util.cache_from_source``,
so ``PYTHONPYCACHEPREFIX`` applies), marked with the interpreter's bytecode magic number
and optimisation level; a file or table that does not read back as such (another Python,
damaged, absent) counts as empty.  It is written as Python writes bytecode, and trusted as
the bytecode beside it is: ``compile_all`` compiles every rolecat module's classes into it
(``make install`` runs it after ``compileall``), and a run that compiled a text the file
lacks adds it when the process exits, unless ``sys.dont_write_bytecode``.  The file holds
a table per module, each read when a class of that module is first defined (all of them
take 4 ms to read, a ``validate`` needs half).
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

_MODULE = "rolecat"
_SUFFIX = ".dataclasses"


class _State:
    """The file's tables as read (``index``; None: not yet), one marshalled table per
    module, each read into ``tables`` when a class of that module is first defined; the
    texts this process compiled itself; the process whose exit may write the file (never
    a forked child)."""

    def __init__(self) -> None:
        self.index: dict[str, bytes] | None = None
        self.tables: dict[str, dict[str, CodeType]] = {}
        self.compiled: list[tuple[str, str]] = []
        self.owner = os.getpid()


_state = _State()


def table_path() -> str | None:
    """Where the tables are, beside this module's bytecode; None where Python keeps none."""
    from importlib.util import cache_from_source

    try:
        return cache_from_source(__file__).removesuffix(".pyc") + _SUFFIX
    except (NotImplementedError, ValueError):  # no cache_tag: no bytecode cache either
        return None


def _marker() -> bytes:
    from importlib.util import MAGIC_NUMBER

    return MAGIC_NUMBER + bytes([sys.flags.optimize])


def read_index(path: str | None) -> dict[str, bytes]:
    """The file's marshalled table of each module; empty when this interpreter wrote none."""
    if path is None:
        return {}
    try:
        data = Path(path).read_bytes()
    except OSError:
        return {}
    marker = _marker()
    if not data.startswith(marker):
        return {}
    try:
        index = marshal.loads(memoryview(data)[len(marker) :])
    except (EOFError, ValueError, TypeError):
        return {}
    if type(index) is not dict or not all(type(k) is str and type(v) is bytes for k, v in index.items()):
        return {}
    return index


def read_table(data: bytes | None) -> dict[str, CodeType]:
    """One module's table (``read_index``); empty when it does not read back as one."""
    if data is None:
        return {}
    try:
        table = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return {}
    if type(table) is not dict or not all(type(k) is str and type(v) is CodeType for k, v in table.items()):
        return {}
    return table


def write_index(path: str, index: dict[str, bytes]) -> None:
    """Write the file atomically (a temporary file renamed over it)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        temp.write_bytes(_marker() + marshal.dumps(dict(sorted(index.items()))))
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def compiled() -> list[tuple[str, str]]:
    """The (module, text) pairs this process compiled itself, not finding them, in order."""
    return list(_state.compiled)


def _exec(source: Any, globals: Any = None, locals: Any = None, /, **kwargs: Any) -> None:
    """``exec`` as ``dataclasses`` calls it, with the tables for rolecat's classes."""
    module = globals.get("__name__") if type(globals) is dict else None
    if kwargs or type(source) is not str or not isinstance(module, str) or not _ours(module):
        builtins.exec(source, globals, locals, **kwargs)
        return
    table = _state.tables.get(module)
    if table is None:
        if _state.index is None:
            _state.index = read_index(table_path())
        table = _state.tables[module] = read_table(_state.index.get(module))
    code = table.get(source)
    if code is None:
        code = table[source] = compile(source, "<string>", "exec", dont_inherit=True)
        if not _state.compiled and os.getpid() == _state.owner and not sys.dont_write_bytecode:
            import atexit

            atexit.register(_save)
        _state.compiled.append((module, source))
    builtins.exec(code, globals, locals)


def _ours(module: str) -> bool:
    return module == _MODULE or module.startswith(_MODULE + ".")


def _save() -> None:
    """At exit: add what this process compiled to the file, when it is the file's owner."""
    path = table_path()
    if path is None or os.getpid() != _state.owner or not _state.compiled:
        return
    index = read_index(path)  # as it is now: another process may have written it since
    for module in {module for module, _ in _state.compiled}:
        table = read_table(index.get(module))
        table.update((text, _state.tables[module][text]) for m, text in _state.compiled if m == module)
        index[module] = marshal.dumps(table)
    with contextlib.suppress(OSError):  # a read-only install: it compiles, as its bytecode would
        write_index(path, index)


def install() -> None:
    """Give ``dataclasses`` the ``exec`` above (once)."""
    if getattr(dataclasses, "exec", None) is not _exec:
        dataclasses.exec = _exec  # type: ignore[attr-defined]


def compile_all() -> int:
    """Import every rolecat module, in a process that has defined none of rolecat's classes
    yet, and write the file with every text compiled; the number of texts."""
    import importlib
    import pkgutil

    import rolecat

    path = table_path()
    if path is None:
        return 0
    install()
    _state.index = {}  # compile every text afresh, reading nothing

    def skip(name: str) -> None:  # a package that does not import: it has no classes to compile
        pass

    for module in pkgutil.walk_packages(rolecat.__path__, _MODULE + ".", onerror=skip):
        if module.name.endswith(".__main__"):
            continue
        with contextlib.suppress(Exception):  # likewise a module (a platform's, say)
            importlib.import_module(module.name)
    # every text found or compiled in this process: entries no class has any more are dropped
    index = {module: marshal.dumps(table) for module, table in _state.tables.items()}
    write_index(path, index)
    return sum(len(table) for table in _state.tables.values())
