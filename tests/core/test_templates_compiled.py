"""The shipped compiled templates are the code Jinja generates from the templates, and a
module made from another text (or by another Jinja, or with other settings) is not used."""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest

from rolecat.targets.terraform import precompiled, render

ROOT = Path(__file__).resolve().parents[2]
GEN = runpy.run_path(str(ROOT / "scripts" / "gen-templates.py"))
TEMPLATES = GEN["templates"]()
FOLDER = ROOT / "src" / "rolecat" / "targets" / "terraform" / "compiled"


@pytest.fixture
def fresh_environment() -> Iterator[None]:
    """A new Jinja environment for the test, and another one after it (templates load once)."""
    render.environment.cache_clear()
    yield
    render.environment.cache_clear()


def test_every_template_has_a_module_and_nothing_else_does() -> None:
    modules = {p.name for p in FOLDER.glob("*.py")} - {"__init__.py"}
    assert modules == {f"{precompiled.module_name(t)}.py" for t in TEMPLATES}, "run: make templates"
    assert "role.tf.j2" in TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
def test_compiled_module_is_current(template: str) -> None:
    shipped = (FOLDER / f"{precompiled.module_name(template)}.py").read_text()
    assert shipped == GEN["generated"](template), "run: make templates"


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_compiled_module_is_the_one_used(template: str, fresh_environment: None) -> None:
    env = render.environment()
    loaded = env.get_template(template)
    namespace = loaded.root_render_func.__globals__
    assert namespace.get("KEY") == precompiled.key(env, template, render._load_template(template))
    assert namespace["environment"] is env


def test_a_module_of_another_text_or_jinja_is_not_used(
    monkeypatch: pytest.MonkeyPatch, fresh_environment: None
) -> None:
    env = render.environment()
    source = render._load_template("versions.tf.j2")
    assert precompiled.load(env, "versions.tf.j2", source) is not None
    assert precompiled.load(env, "versions.tf.j2", source + "\n") is None  # the template edited
    import jinja2

    monkeypatch.setattr(jinja2, "__version__", "0.0.0")  # another Jinja
    assert precompiled.load(env, "versions.tf.j2", source) is None
    loaded = env.get_template("versions.tf.j2")  # compiled from the text instead
    assert "KEY" not in loaded.root_render_func.__globals__


def test_the_key_follows_the_settings_that_change_the_code(fresh_environment: None) -> None:
    env = render.environment()
    before = precompiled.key(env, "role.tf.j2", "x")
    assert precompiled.key(env, "policy.tf.j2", "x") != before
    other = env.overlay(trim_blocks=False)
    assert precompiled.key(other, "role.tf.j2", "x") != before
    env.filters["new_filter"] = str
    try:
        assert precompiled.key(env, "role.tf.j2", "x") != before
    finally:
        del env.filters["new_filter"]


def test_rendering_is_the_same_either_way(monkeypatch: pytest.MonkeyPatch, fresh_environment: None) -> None:
    """The example catalog's files, byte for byte, from the compiled modules and from the
    templates' text."""
    from rolecat.pipeline import load_catalog

    catalog, _ = load_catalog(ROOT / "catalog")
    assert catalog is not None
    ahead = {f.path: f.data for f in render.render(catalog)}
    render.environment.cache_clear()
    used: list[str] = []
    real_load = precompiled.load

    def refuse(environment: object, template: str, source: str) -> None:
        used.append(template)
        assert real_load(environment, template, source) is not None  # there was one to refuse

    monkeypatch.setattr(precompiled, "load", refuse)
    from_text = {f.path: f.data for f in render.render(catalog)}
    assert "role.tf.j2" in used
    assert from_text == ahead


def test_a_module_another_jinja_cannot_even_import_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_environment: None
) -> None:
    """A module made by a Jinja whose runtime has names this one lacks fails at its first
    line, before its KEY could be compared: the template is compiled from its text."""
    import importlib.util

    stale = tmp_path / "versions_tf.py"
    stale.write_text('from jinja2.runtime import NoSuchName\nKEY = "x"\n')
    spec = importlib.util.spec_from_file_location("versions_tf", stale)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: spec if name.startswith(precompiled.PACKAGE + ".") else real(name),
    )
    env = render.environment()
    assert precompiled.load(env, "versions.tf.j2", render._load_template("versions.tf.j2")) is None
    loaded = env.get_template("versions.tf.j2")
    assert "KEY" not in loaded.root_render_func.__globals__
