"""The spec's "Time" rules: ``until`` is exclusive and UTC.

A date means 00:00:00Z of that day; a datetime must carry ``Z`` or an offset (a bare
local time would mean different instants for different reviewers).
"""

from __future__ import annotations

import datetime as dt
import re

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII)
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2}))?(?P<frac>\.\d+)?\s*(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?\Z",
    re.ASCII,
)
# Catalog instants are escalation end dates: anything outside these years is a typo, and
# years 1 and 9999 would overflow when converted to UTC.
MIN_YEAR, MAX_YEAR = 2000, 2999
MAX_OFFSET = dt.timedelta(hours=18)  # ISO 8601's widest; real zones stay within +14:00/-12:00


class TimeError(ValueError):
    """A date or datetime that does not follow the catalog's Time rules."""


# re.ASCII, as _DATE and _DATETIME: Python's \d takes any script's digits (٢٠٢٦١٢٠٥), and the
# hint would then name a spelling that parse_instant refuses in turn.
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:[Tt]?(\d{2})(\d{2})(\d{2})?(?P<zone>[Zz])?)?\Z", re.ASCII)
_SLASHED = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})\Z", re.ASCII)


def suggest_instant(text: str) -> str | None:
    """The catalog spelling of a date written another common way (20261205, 2026/12/05,
    20261205T180000Z, 202612051800 read as UTC), or None.  Day-first forms (05.12.2026) are
    ambiguous: no guess."""
    s = text.strip()
    if m := _COMPACT.match(s):
        date = f"{m[1]}-{m[2]}-{m[3]}"
        if m[4] is None:
            return date
        return f"{date}T{m[4]}:{m[5]}:{m[6] or '00'}Z"
    if m := _SLASHED.match(s):
        return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    return None


def parse_instant(text: str) -> dt.datetime:
    """Parse a catalog date or datetime into an aware UTC datetime."""
    s = text.strip(" ")
    m = _DATE.match(s)
    if m:
        _check_year(text, int(m[1]))
        try:
            return dt.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=dt.UTC)
        except ValueError as exc:
            raise TimeError(f"{text!r} is not a valid date: {exc}") from None
    m = _DATETIME.match(s)
    if not m:
        better = suggest_instant(s)
        write = f"; write {better}" if better else ""
        raise TimeError(
            f"{text!r} is neither a date (YYYY-MM-DD) nor a datetime (YYYY-MM-DDTHH:MM:SSZ){write}"
        )
    if m["frac"]:
        raise TimeError(f"{text!r}: fractions of a second are not supported")
    zone = m["zone"]
    if zone is None:
        raise TimeError(f"{text!r} has no time zone; add Z (UTC) or an offset such as +02:00")
    if zone in ("Z", "z"):
        tz = dt.UTC
    else:
        digits = zone[1:].replace(":", "")
        if int(digits[2:]) >= 60:
            raise TimeError(f"{text!r}: the offset's minutes must be below 60")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset > MAX_OFFSET:
            raise TimeError(f"{text!r}: a UTC offset is at most 18:00")
        tz = dt.timezone(offset if zone[0] == "+" else -offset)
    _check_year(text, int(m[1]))
    try:
        local = dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0), tzinfo=tz)
    except ValueError as exc:
        raise TimeError(f"{text!r} is not a valid datetime: {exc}") from None
    return local.astimezone(dt.UTC)


def _check_year(text: str, year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise TimeError(f"{text!r}: the year must be between {MIN_YEAR} and {MAX_YEAR}")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
