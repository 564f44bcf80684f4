"""The shipped schema validators are the code fastjsonschema generates from the schemas."""

from __future__ import annotations

import importlib
import runpy
from pathlib import Path

import pytest

from rolecat.load import schema
from rolecat.load.schema import SCHEMA_NAMES

ROOT = Path(__file__).resolve().parents[2]
GEN = runpy.run_path(str(ROOT / "scripts" / "gen-validators.py"))


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_generated_validator_is_current(name: str) -> None:
    shipped = (ROOT / "src" / "rolecat" / "load" / "validators" / f"{name}.py").read_text()
    assert shipped == GEN["generated"](name), "run: make validators"


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_the_generated_validator_is_the_one_used(name: str) -> None:
    schema._fast_validator.cache_clear()
    module = importlib.import_module(f"rolecat.load.validators.{name}")
    assert schema._fast_validator(name) is module.validate


def test_a_validator_of_another_schema_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("rolecat.load.validators.role")
    monkeypatch.setattr(module, "SCHEMA_DIGEST", "0" * 64)
    schema._fast_validator.cache_clear()
    try:
        compiled = schema._fast_validator("role")
        assert compiled is not module.validate
        assert compiled.__name__ == module.validate.__name__
    finally:
        schema._fast_validator.cache_clear()


def test_a_validator_compiled_at_run_time_still_finds_what_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated validator out of date is replaced by one compiled here, whose
    fastjsonschema exception is turned into the one the generated code raises: a role file
    the schema refuses is still reported, and a valid one passes."""
    from rolecat.load.invalid import Invalid
    from rolecat.load.source import load_yaml_text

    module = importlib.import_module("rolecat.load.validators.role")
    monkeypatch.setattr(module, "SCHEMA_DIGEST", "0" * 64)
    schema._fast_validator.cache_clear()
    try:
        compiled = schema._fast_validator("role")
        with pytest.raises(Invalid):
            compiled({"name": 5})
        bad, _ = load_yaml_text("name: Admin\naccounts: nonprod\n", "roles/Admin.yaml")
        assert bad is not None and [d.code for d in schema.validate(bad, "role")]
        good, _ = load_yaml_text(
            "name: Admin\ndescription: d\naccounts: [nonprod]\nowners: ['@acme/platform']\n",
            "roles/Admin.yaml",
        )
        assert good is not None and schema.validate(good, "role") == []
    finally:
        schema._fast_validator.cache_clear()
