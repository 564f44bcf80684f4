#!/usr/bin/env python3
"""Write docs/checks.md from the rule registry (python -m rolecat.rules.docs)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from rolecat.rules.docs import render_markdown  # noqa: E402

if __name__ == "__main__":
    target = ROOT / "docs" / "checks.md"
    target.write_text(render_markdown())
    print(f"wrote {target.relative_to(ROOT)}")
