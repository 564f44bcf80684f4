"""The fast validator (fastjsonschema, draft-07 reading) must agree with jsonschema (2020-12)
on every document: it alone decides that a document is valid."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.load.schema import SCHEMA_NAMES, _fast_validator, _validator, schema

VALID_ROLE: dict[str, Any] = {
    "name": "R",
    "accounts": ["prod"],
    "boundary": "b",
    "members": ["alice"],
    "temporary_members": [{"user": "bob", "until": "2099-01-01", "reason": "x"}],
    "tags": {"team": "a"},
    "delegated_role_creation": {"boundary": "b", "path": "/apps/"},
    "accept": [{"check": "I001", "reason": "because"}],
}
VALID_CATALOG: dict[str, Any] = {
    "organization": "acme",
    "owners": ["@acme/sec"],
    "accounts": {"sec": {"id": "111111111111", "identity": True}},
    "quotas": {"trust_policy_size": 4096},
    "terraform": {"backend": {"bucket": "state-bucket"}},
}
VALID_USERS: dict[str, Any] = {"users": {"alice": {"email": "a@b.c", "team": "x"}, "bob": None}}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 50_000),
    st.text(max_size=8),
    st.sampled_from(["prod", "/apps/", "I001", "111111111111", "a\n", "@x/y", "human", "service", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def mutate(doc: Any, path: list[int], new: Any, key: str | None) -> Any:
    """Replace (or, with ``key``, add) one node chosen by ``path`` indices."""
    if not path or not isinstance(doc, (dict, list)) or not doc:
        if key is not None and isinstance(doc, dict):
            return {**doc, key: new}
        return new
    if isinstance(doc, dict):
        keys = sorted(doc)
        k = keys[path[0] % len(keys)]
        return {**doc, k: mutate(doc[k], path[1:], new, key)}
    i = path[0] % len(doc)
    return [*doc[:i], mutate(doc[i], path[1:], new, key), *doc[i + 1 :]]


def agree(name: str, doc: Any) -> None:
    fast_ok = True
    try:
        _fast_validator(name)(doc)  # type: ignore[arg-type]
    except Exception:
        fast_ok = False
    slow_ok = not list(_validator(name).iter_errors(doc))  # type: ignore[arg-type]
    assert fast_ok == slow_ok, (name, doc)


def test_valid_examples_are_valid() -> None:
    for name, doc in (("role", VALID_ROLE), ("catalog", VALID_CATALOG), ("users", VALID_USERS)):
        agree(name, doc)
        assert not list(_validator(name).iter_errors(doc)), name  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([("role", VALID_ROLE), ("catalog", VALID_CATALOG), ("users", VALID_USERS)]),
    st.lists(st.integers(0, 20), max_size=4),
    values,
    st.one_of(st.none(), st.text(max_size=10)),
)
def test_fast_and_full_validators_agree(
    named: tuple[str, Any], path: list[int], new: Any, key: str | None
) -> None:
    name, doc = named
    agree(name, mutate(doc, path, new, key))


def test_schemas_are_draft_2020_12() -> None:
    for name in SCHEMA_NAMES:
        assert schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_role_files_are_checked_as_loaded_and_again_when_replaced(tmp_path: Any) -> None:
    """``discover`` checks each role file against the role schema as it loads it; the schema
    stage uses that, and checks again a document that is not the one loaded."""
    import copy
    import shutil
    from pathlib import Path

    from rolecat.load import discover
    from rolecat.load.schema import validate_sources

    cat = tmp_path / "catalog"
    shutil.copytree(Path(__file__).resolve().parents[2] / "catalog", cat)
    bad = cat / "roles" / "prod" / "OnCall.yaml"
    bad.write_text(bad.read_text().replace("name:", "nmae:", 1))
    src = discover.discover(cat, "catalog")
    assert [d.code for doc in src.roles for d in src.schema_found(doc) or []] == ["S002", "S003"]
    loaded = [repr(d) for d in validate_sources(src).diagnostics]
    assert sum("code='S002'" in d for d in loaded) == 1

    src.role_schema = {id(doc): (doc, []) for doc in src.roles}  # what was checked says nothing is wrong
    assert not [d for d in validate_sources(src).diagnostics if d.code.startswith("S")]
    src.roles = [copy.deepcopy(doc) for doc in src.roles]  # other documents: checked again
    assert [repr(d) for d in validate_sources(src).diagnostics] == loaded
    stranger = src.roles[0]
    src.role_schema[id(stranger)] = (copy.deepcopy(stranger), [])  # its id, another document
    assert src.schema_found(stranger) is None
