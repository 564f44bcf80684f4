from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolecat.model.timeutil import TimeError, parse_instant, suggest_instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2099-12-05", dt.datetime(2099, 12, 5, tzinfo=dt.UTC)),
        ("2099-12-05T10:30:00Z", dt.datetime(2099, 12, 5, 10, 30, tzinfo=dt.UTC)),
        ("2099-12-05T10:30Z", dt.datetime(2099, 12, 5, 10, 30, tzinfo=dt.UTC)),
        ("2099-12-05T12:30:00+02:00", dt.datetime(2099, 12, 5, 10, 30, tzinfo=dt.UTC)),
        ("2099-12-05 01:00:00-0100", dt.datetime(2099, 12, 5, 2, 0, tzinfo=dt.UTC)),
    ],
)
def test_parse(text: str, expected: dt.datetime) -> None:
    assert parse_instant(text) == expected


@pytest.mark.parametrize("text", ["2099-12-05T10:30:00", "2099-13-01", "tomorrow", "2099-12-05T10:30:00.5Z"])
def test_refused(text: str) -> None:
    with pytest.raises(TimeError):
        parse_instant(text)


# Any script's decimal digits (Python's \d and int() take them all), ASCII ones among them.
_ANY_DIGIT = st.characters(categories=["Nd"])
_ASCII_DIGIT = st.sampled_from("0123456789")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(_ANY_DIGIT, _ASCII_DIGIT), min_size=8, max_size=14),
    st.sampled_from(["compact", "compact-time", "slashed"]),
)
def test_a_suggested_spelling_is_one_parse_instant_reads(digits: list[str], form: str) -> None:
    """The hint of a refused date names an instant in the catalog's own spelling, 0-9 only:
    its patterns took any script's digits (\\d without re.ASCII), so '٢٠٢٦١٢٠٥' got the hint
    'write ٢٠٢٦-١٢-٠٥', which parse_instant refuses in turn."""
    d = "".join(digits)
    text = {
        "compact": d[:8],
        "compact-time": f"{d[:8]}T{d[8:12].ljust(4, '0')}00Z",
        "slashed": f"{d[:4]}/{d[4:6]}/{d[6:8]}",
    }[form]
    better = suggest_instant(text)
    if not text.isascii():
        assert better is None
        return
    assert better is not None and better.isascii()
    try:
        parse_instant(better)
    except TimeError as exc:  # a month 13 stays one: the hint only respells
        assert "neither a date" not in str(exc)


def test_other_scripts_digits_get_no_hint() -> None:
    with pytest.raises(TimeError) as info:
        parse_instant("٢٠٢٦١٢٠٥")
    assert "write" not in str(info.value)
    assert suggest_instant("２０２６/１/５") is None
    assert suggest_instant("20261205T1800٠٠Z") is None
    assert suggest_instant("20261205") == "2026-12-05"
