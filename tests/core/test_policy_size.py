"""Quota sizes: ``trust_policy_size`` (orjson) and ``policy_size`` (json) measure exactly what
``aws_json`` writes, as the quota checks always did: its length without whitespace."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.deploy.deployment import build_deployment
from rolecat.deploy.policies import aws_json, policy_size, trust_policy_size
from rolecat.pipeline import load_catalog

HERE = Path(__file__).parent.parent
CATALOGS = [
    HERE.parent / "catalog",
    HERE / "hostile" / "fixtures" / "minimal",
    *sorted(p for p in (HERE / "golden" / "inputs").iterdir() if p.is_dir()),
]
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


def reference_size(doc: Any) -> int:
    """The definition: the text AWS receives, whitespace not counted."""
    text = aws_json(doc)
    return len(text) - sum(text.count(c) for c in " \t\r\n")


def test_every_code_point_is_measured_as_json_writes_it() -> None:
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(points), 4096):
        chunk = points[start : start + 4096]
        doc = {"Statement": [{"Sid": "".join(chunk), "Condition": {"k": chunk}}]}
        assert trust_policy_size(doc) == policy_size(doc) == reference_size(doc)
    for ch in [*points[:0x3000], "\u2028", "\u2029"]:  # one at a time: escapes next to nothing
        doc = {ch: ch, "b": [ch, {"c": ch}]}
        assert trust_policy_size(doc) == reference_size(doc), repr(ch)


def test_a_lone_surrogate_is_measured_through_json() -> None:
    doc = {"Sid": "a\ud800b", "Action": "sts:AssumeRole"}  # orjson refuses it, json writes it
    assert trust_policy_size(doc) == reference_size(doc)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_documents_of_strings(value: Any) -> None:
    doc = {"Statement": value, "Version": "2012-10-17 <&> \u2028"}
    assert trust_policy_size(doc) == policy_size(doc) == reference_size(doc)


def test_policy_size_with_numbers_and_booleans() -> None:
    doc = {"Condition": {"NumericLessThan": {"a": 1.5, "b": 10**30, "c": 1e16, "d": True, "e": None}}}
    assert policy_size(doc) == reference_size(doc)


@pytest.mark.parametrize("root", CATALOGS, ids=lambda p: p.name)
def test_sizes_of_every_deployed_document(root: Path) -> None:
    catalog, _ = load_catalog(root, NOW)
    assert catalog is not None
    deployment = build_deployment(catalog)
    placed = list(deployment.roles())
    assert placed
    for dr in placed:
        if dr.trust is not None:
            assert trust_policy_size(dr.trust) == reference_size(dr.trust), dr.arn
        for doc in (dr.inline, dr.revoke, *(p.document for p in dr.policies)):
            if doc is not None:
                assert policy_size(doc) == reference_size(doc), dr.arn
