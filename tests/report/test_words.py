"""Counted nouns agree with their number; no message falls back on ``file(s)``."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from rolecat.report.words import counted, were

SRC = Path(__file__).resolve().parents[2] / "src" / "rolecat"


def test_counted_agrees_with_its_number() -> None:
    assert counted(0, "file") == "0 files"
    assert counted(1, "file") == "1 file"
    assert counted(2, "record") == "2 records"
    assert counted(12345, "record") == "12,345 records"
    assert counted(1, "policy", "policies") == "1 policy"
    assert counted(3, "policy", "policies") == "3 policies"
    assert (were(1), were(0), were(2)) == ("was", "were", "were")


def test_no_string_in_the_source_counts_with_an_s_in_brackets() -> None:
    """`3 file(s)` reads as if the program did not know how many; every count says."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
        for tok in tokens:
            is_text = tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1)
            if is_text and re.search(r"[a-z]\((s|es)\)", tok.string):
                found.append(f"{path.relative_to(SRC)}:{tok.start[0]}: {tok.string}")
    assert not found, "\n".join(found)
