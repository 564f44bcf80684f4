"""Labels are a pure, injective function of the entity (issue 10, item 1)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.targets.terraform import labels

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
# IAM user and role names: [\w+=,.@-]; paths add "/"; a few characters outside IAM's
# set keep the function total (validation refuses them earlier).
IAM_CHARS = "abcAB019_-+=,.@/"
iam_names = st.text(alphabet=IAM_CHARS, min_size=1, max_size=12)
any_names = st.text(min_size=1, max_size=8)


def case_variants(name: str) -> set[str]:
    return {name, name.lower(), name.upper(), name.swapcase()}


@given(iam_names)
def test_every_label_is_a_terraform_identifier_and_decodes_back(name: str) -> None:
    out = labels.encode(name)
    assert IDENT.match(out), out
    assert "__" not in out and not out.endswith("_")
    assert labels.decode(out) == name


@given(any_names)
def test_total_on_any_string(name: str) -> None:
    out = labels.encode(name)
    assert IDENT.match(out)
    assert labels.decode(out) == name


@given(st.one_of(iam_names, any_names, st.text(alphabet="aZ09-_\u00e9\u0661", max_size=6)))
def test_the_short_way_to_a_simple_name_agrees_with_the_rule(name: str) -> None:
    """``encode`` tells most simple names (ASCII letters, digits and "-" after a letter)
    without its regex; that short way agrees with the full rule."""
    assert labels._simple(name) == bool(labels._SIMPLE.match(name))


@settings(max_examples=300)
@given(st.lists(iam_names, min_size=2, max_size=8, unique=True))
def test_injective_over_case_variants_and_punctuation(names: list[str]) -> None:
    pool = sorted({v for n in names for v in case_variants(n)})
    encoded = [labels.encode(n) for n in pool]
    assert len(set(encoded)) == len(pool)


@given(iam_names, st.lists(iam_names, max_size=6), st.lists(iam_names, max_size=6))
def test_independent_of_other_entities(name: str, before: list[str], after: list[str]) -> None:
    """Adding, removing or renaming other entities never changes a label: it is
    computed from the name alone, and this is the whole interface."""
    alone = labels.user(name)
    assert labels.user(name) == alone
    together = {n: labels.user(n) for n in [*before, name, *after]}
    assert together[name] == alone


@given(iam_names, iam_names, iam_names, iam_names)
def test_attachment_pairs_are_injective(r1: str, p1: str, r2: str, p2: str) -> None:
    a = labels.attachment(r1, labels.policy("policy", p1))
    b = labels.attachment(r2, labels.policy("policy", p2))
    assert (a == b) == ((r1, p1) == (r2, p2))
    m = labels.attachment(r2, labels.managed_ref(f"arn:aws:iam::aws:policy/{p2}"))
    assert a != m
    assert IDENT.match(a) and IDENT.match(m)


@given(iam_names, iam_names)
def test_policy_kinds_never_share_a_label(a: str, b: str) -> None:
    assert labels.policy("boundary", a) != labels.policy("policy", b)
    assert labels.policy("boundary", a) not in {"self_service", "assume_roles"}
    assert labels.policy("policy", a) not in {"self_service", "assume_roles"}


def test_the_collisions_of_the_old_scheme_are_gone() -> None:
    # the examples, each a pair the old scheme labelled alike
    assert labels.role("a.b") != labels.role("a_b")
    assert len({labels.role(n) for n in ("a.b", "a.b_abcdef12", "a=b", "a_b")}) == 4
    assert labels.attachment("a__policy_b", labels.policy("policy", "c")) != labels.attachment(
        "a", labels.policy("policy", "b__policy_c")
    )
    assert labels.role("1Admin") != labels.role("_1Admin")
    assert labels.user("gina_x") == "gina_x"  # the applied person keeps her address
    assert labels.user("gina.x") == "gina_0x"


def test_common_names_keep_the_old_label() -> None:
    for name in ("ProdEngineer", "customer-success", "alice", "on_call", "Break-Glass"):
        assert labels.encode(name) == labels.legacy_label(name) == name
    assert labels.policy("policy", "customer-success") == "policy_customer-success"
    assert labels.attachment("CustomerSuccess", labels.policy("policy", "customer-success")) == (
        "CustomerSuccess__policy_customer-success"
    )


def test_legacy_scheme_depended_on_the_neighbours() -> None:
    """Documents why the old labels had to go: the label of gina_x moved."""
    assert labels.legacy_labels(["gina_x"])["gina_x"] == "gina_x"
    assert labels.legacy_labels(["gina_x", "gina.x"])["gina_x"] != "gina_x"
