from __future__ import annotations

import datetime as dt

import pytest

from rolecat.model.timeutil import TimeError, parse_instant


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
