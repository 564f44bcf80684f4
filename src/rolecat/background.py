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
import select
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
X = TypeVar("X")
F = TypeVar("F")


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
        self._failed: Exception | None = None

    @property
    def forked(self) -> bool:
        return self._pid is not None

    def result(self) -> T:
        """The value; raises what ``fn`` raised.  Waits for the child (once: a second call
        gives the same value, or raises the same exception)."""
        if self._failed is not None:
            raise self._failed
        if self._done is None:
            try:
                self._done = (self._collect(),)
            except Exception as exc:
                self._failed = exc
                raise
        return self._done[0]

    def ready(self) -> bool:
        """Whether ``fn`` is done: in the child, whose answer has begun to arrive (it is
        written once ``fn`` returned), or here; False for work deferred to ``result()``.
        Never waits."""
        if self._done is not None or self._failed is not None:
            return True
        if self._pid is None or self._fd is None:
            return False
        poll = select.poll()  # not select.select, which refuses a descriptor above 1023
        poll.register(self._fd, select.POLLIN)
        return bool(poll.poll(0))

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


def start(fn: Callable[[], T], *, instead: Callable[[], T] | None = None) -> Pending[T]:
    """``fn`` started in a forked child when ``fork_allowed()``, else deferred to ``result()``.

    ``instead``: what ``result()`` computes here when a forked child gives no answer
    (default: ``fn``), for work that the child shares with this process as it goes."""
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
    return Pending(fn if instead is None else instead, pid, read_fd)


# How many parts ``from_both_ends`` cuts its items into (at most): small enough parts that
# the two processes finish close together, few enough that taking one costs nothing.
PARTS = 256


class BothEnds(Generic[X, T, F]):
    """``work`` over ``items`` cut into up to ``PARTS`` parts, shared between this process
    and a forked child as they go: this process takes parts from the front, the child from
    the back, each taking the next from a pipe that holds one byte per part (a one-byte
    read is atomic, so every part is taken exactly once).

    Made in two steps, so that this process can do other work in between: the child
    starts at once (it first runs ``first``, when given, then takes parts), and ``join``
    takes parts here until none is left.  Both stay busy to the end, whatever the
    machine's load or what this process does before ``join``.

    ``deferred``: the child starts only at ``fork()``; until then this process may take
    parts from the front one at a time (``take``), for when the second core is still
    busy with other work.  A ``fork()`` once every part is taken starts nothing, and
    ``join`` then runs ``first`` here, after the parts.

    ``join`` gives ``first``'s value and ``work``'s value for each part, in the order of
    ``items``: the same as from one process, which does it all in ``join`` (``first``,
    then the parts) when ``fork`` is false, ``fork_allowed()`` is false or there is
    nothing to share (fewer than two parts and no ``first``).  ``cancel`` stops the
    child; a child that dies without an answer leaves ``first`` and its parts to this
    process."""

    def __init__(
        self,
        work: Callable[[Sequence[X]], T],
        items: Sequence[X],
        *,
        first: Callable[[], F] | None = None,
        fork: bool = True,
        deferred: bool = False,
    ) -> None:
        size = max(1, -(-len(items) // PARTS))
        self._parts = [items[i : i + size] for i in range(0, len(items), size)]
        self._work = work
        self._first = first
        self._front: list[T] = []
        self._tokens: int | None = None
        self._taken_all = False
        self._pending: Pending[tuple[F | None, list[T]]] | None = None
        if not fork or (len(self._parts) < 2 and first is None) or not fork_allowed():
            return
        tokens, fill = os.pipe()
        try:
            os.write(fill, bytes(len(self._parts)))  # at most PARTS bytes: within any pipe's buffer
        finally:
            os.close(fill)  # so that reading the last token is followed by end of file
        self._tokens = tokens
        if not deferred:
            self.fork()

    def fork(self) -> None:
        """Start the child (made with ``deferred``; once).  Nothing when no part is left, or
        when forking is no longer allowed (a thread started): this process then does all."""
        if self._tokens is None or self._pending is not None or self._taken_all:
            return
        tokens, parts, work, first = self._tokens, self._parts, self._work, self._first

        def back() -> tuple[F | None, list[T]]:  # in the child
            value = first() if first is not None else None
            done: list[T] = []
            while os.read(tokens, 1):
                done.append(work(parts[len(parts) - 1 - len(done)]))
            return value, done[::-1]

        try:
            pending = start(back, instead=self._rest)
        except BaseException:
            self._close()
            raise
        if pending.forked:
            self._pending = pending

    @property
    def forked(self) -> bool:
        return self._pending is not None

    def take(self) -> bool:
        """Do the next part from the front here; False when none is left.  For a caller,
        before ``fork()`` of a ``deferred`` one (``join`` takes the rest, as it goes)."""
        if self._tokens is None or self._taken_all:
            return False
        try:
            if not os.read(self._tokens, 1):
                self._taken_all = True
                return False
            self._front.append(self._work(self._parts[len(self._front)]))
        except BaseException:
            self.cancel()
            raise
        return True

    def _rest(self) -> tuple[F | None, list[T]]:
        """What the child was to do, done here: ``first``, and the parts not taken here."""
        value = self._first() if self._first is not None else None
        return value, [self._work(part) for part in self._parts[len(self._front) :]]

    def join(self) -> tuple[F | None, list[T]]:
        """``first``'s value and every part's, in order (once)."""
        if self._tokens is None:
            value, rest = self._rest()
            return value, self._front + rest
        try:
            while self.take():
                pass
        finally:
            self._close()
        if self._pending is None:  # never forked: every part was done here
            return (self._first() if self._first is not None else None), self._front
        value, back = self._pending.result()
        return value, self._front + back

    def cancel(self) -> None:
        """Stop the child, whose work is no longer wanted."""
        if self._pending is not None:
            self._pending.cancel()
        self._close()

    def _close(self) -> None:
        if self._tokens is not None:
            os.close(self._tokens)
            self._tokens = None


def from_both_ends(
    work: Callable[[Sequence[X]], T],
    items: Sequence[X],
    *,
    meanwhile: Callable[[], object] | None = None,
) -> list[T]:
    """``work`` over ``items``, shared with a forked child as they go (``BothEnds``),
    with ``meanwhile`` run here once the child is started, before this process takes
    parts.  The result is ``work``'s value for each part, in the order of ``items``.  A
    failure here stops the child."""
    ends: BothEnds[X, T, None] = BothEnds(work, items)
    if meanwhile is not None:
        try:
            meanwhile()
        except BaseException:
            ends.cancel()
            raise
    return ends.join()[1]


def _pickled_failure(exc: BaseException) -> bytes:
    try:
        data = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)  # some exceptions pickle but cannot be made again from their args
        return data
    except Exception:  # one that does not travel: its type and text
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
