"""Write rolecat/targets/terraform/compiled/<module>.py: Jinja's code for each template.

Run `make templates` after changing a template in templates/ (tests/core/test_templates_compiled.py
fails until then; rolecat itself compiles a template whose module is out of date from its text).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rolecat.targets.terraform import precompiled  # noqa: E402
from rolecat.targets.terraform.render import HEADER_TEXT, _load_template, environment  # noqa: E402

FOLDER = ROOT / "src" / "rolecat" / "targets" / "terraform" / "compiled"
TEMPLATES = ROOT / "templates"


def templates() -> list[str]:
    return sorted(p.name for p in TEMPLATES.glob("*.j2") if p.name != HEADER_TEXT)


def generated(template: str) -> str:
    return precompiled.generate(environment(), template, _load_template(template))


def _write(path: Path, text: str) -> None:
    """Only when the text changes: a rewrite would leave the byte code compiled at install
    stale, and with PYTHONDONTWRITEBYTECODE every run would compile the module again."""
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    _write(
        FOLDER / "__init__.py",
        '"""Each template\'s code (scripts/gen-templates.py; see ../precompiled.py)."""\n',
    )
    names = templates()
    wanted = {f"{precompiled.module_name(t)}.py" for t in names}
    for stale in FOLDER.glob("*.py"):  # a template removed or renamed: its module goes too
        if stale.name != "__init__.py" and stale.name not in wanted:
            stale.unlink()
    for template in names:
        _write(FOLDER / f"{precompiled.module_name(template)}.py", generated(template))


if __name__ == "__main__":
    main()
