"""One piece of work on the second core: a forked child that computes a value while the
calling process goes on, for stages that only read what both processes already hold.

``compile`` runs the checks this way while it renders: both read the same catalog and
deployment, which the child gets copy-on-write at the fork (nothing is serialised on the
way in), and only the checks' diagnostics (a few kilobytes, pickled) come back through a
pipe.  The result is the same value the function returns when run in the calling process,
so output never depends on whether the work ran in the background:

- the child runs ``fn`` and exits with ``os._exit``: no ``atexit`` handler, no flush of
  buffers it inherited, nothing written anywhere but the pipe;
- an exception in ``fn`` comes back and is raised again by ``result()`` (as the same type
  when it pickles, else a ``RuntimeError`` carrying its text);
- a child that dies without a complete answer (killed, out of memory) is not an answer:
  ``result()`` runs ``fn`` in the calling process instead.

Work runs in the calling process, with no fork, when ``ROLECAT_JOBS=1``, on platforms
other than Linux (macOS and Windows do not fork safely), and when other threads run (a
fork copies only the calling thread, and with it any lock another thread holds).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
X = TypeVar("X")


def fork_allowed() -> bool:
    """Whether ``start`` may fork: Linux, a single thread, and ``ROLECAT_JOBS`` not 1."""
    if os.environ.get("ROLECAT_JOBS", "").strip() == "1":
        return False
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    return threading.active_count() == 1


class Pending(Generic[T]):
    """A value being computed in a child process (or, without a child, on demand)."""

    def __init__(self, fn: Callable[[], T], pid: int | None, fd: int | None) -> None:
        self._fn = fn
        self._pid = pid
        self._fd = fd
        self._done: tuple[T] | None = None

    @property
    def forked(self) -> bool:
        return self._pid is not None

    def result(self) -> T:
        """The value; raises what ``fn`` raised.  Waits for the child (once)."""
        if self._done is None:
            self._done = (self._collect(),)
        return self._done[0]

    def cancel(self) -> None:
        """Stop a child whose value is no longer wanted (the caller failed before ``result``)."""
        if self._pid is not None and self._fd is not None:
            os.close(self._fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = self._fd = None

    def _collect(self) -> T:
        if self._pid is None or self._fd is None:
            return self._fn()
        answer: tuple[bool, object] | None = None
        # Unpickled as it arrives (our own child's bytes, through our own pipe): a result
        # of many megabytes is never held twice, as bytes and as objects.  A stream cut
        # short raises: the child died.
        with os.fdopen(self._fd, "rb") as pipe, contextlib.suppress(Exception):
            answer = pickle.load(pipe)
        _, status = os.waitpid(self._pid, 0)
        self._pid = self._fd = None
        if answer is None or not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            return self._fn()  # the child died: the answer is computed here
        ok, value = answer
        if ok:
            return value  # type: ignore[return-value]
        raise value  # type: ignore[misc]


def start(fn: Callable[[], T]) -> Pending[T]:
    """``fn`` started in a forked child when ``fork_allowed()``, else deferred to ``result()``."""
    if not fork_allowed():
        return Pending(fn, None, None)
    read_fd, write_fd = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # so that nothing buffered could be written twice
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        code = 1
        try:
            with os.fdopen(write_fd, "wb") as pipe:
                try:
                    value = fn()
                except BaseException as exc:  # every failure goes back to the parent
                    pipe.write(_pickled_failure(exc))
                else:
                    # Streamed, not pickled whole first; a value that does not pickle
                    # leaves a cut stream and exit code 1: the parent computes it itself.
                    pickle.dump((True, value), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return Pending(fn, pid, read_fd)


def halves(work: Callable[[Sequence[X]], T], items: Sequence[X]) -> tuple[T, T]:
    """``work`` over the first half of ``items`` here and over the second half in a
    child (``start``), as ``(first, second)``; a failure here stops the child."""
    half = len(items) // 2
    second = start(lambda: work(items[half:]))
    try:
        first = work(items[:half])
    except BaseException:
        second.cancel()
        raise
    return first, second.result()


def _pickled_failure(exc: BaseException) -> bytes:
    try:
        data = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)  # some exceptions pickle but cannot be made again from their args
        return data
    except Exception:  # one that does not travel: its type and text
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
