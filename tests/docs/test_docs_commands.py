"""Every command the docs show works as shown.

For each Markdown file (README.md and every file in docs/, whichever exist), the `$ `
lines of its fenced code blocks run in order, as a reader would type them, in a scratch
copy of this repository (its tracked files, committed into a fresh git repository, with
the example catalog) and a scratch HOME:

- a command exits 0, or N when its line ends with the comment `# exits N`;
- the output shown under a command (the block's lines up to the next `$ `) appears in
  what it printed, line by line in order; a shown line holding `...` stands for anything;
- `cd` carries over to the next command of the same file.

Commands that cannot run here are skipped by name, with the reason: those that need AWS
or a real Terraform backend, `make` targets that would run this test suite or reinstall,
and lines with a `<placeholder>`.  A doc can prepare its scratch copy with an HTML
comment `<!-- docs-test setup: SHELL COMMAND -->` (for a walkthrough that first edits the
catalog, e.g. adds a user).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] if p.is_file()]

_FENCE = re.compile(r"^(`{3,})([^\n`]*)\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_SETUP = re.compile(r"<!--\s*docs-test setup:\s*(.*?)\s*-->", re.DOTALL)
_EXITS = re.compile(r"#\s*exits\s+(\d+)\s*$")
_PLACEHOLDER = re.compile(r"<[A-Za-z][\w -]*>")

# Programs that need AWS, a Terraform backend or a person at a keyboard.
NOT_HERE = {
    "terraform": "needs AWS credentials and a state backend",
    "aws": "needs AWS credentials",
    "aws-vault": "needs AWS credentials and a keychain",
    "granted": "needs AWS credentials",
    "assume": "needs AWS credentials",
}
# make targets that do not run inside the test suite.
MAKE_NOT_HERE = {
    "test": "is the test suite itself",
    "check": "runs the test suite",
    "lint": "runs in CI on its own",
    "type": "runs in CI on its own",
    "format": "rewrites the sources",
    "bench": "takes minutes and installs benchmark tools",
    "golden": "rewrites golden files",
    "install": "creates a virtualenv",
    "clean": "removes caches of the real checkout",
    "plan": "needs AWS credentials and a state backend",
}
ROLECAT_NOT_HERE = {"plan": "needs AWS credentials and a state backend"}


@dataclass
class Command:
    doc: str
    line: int
    text: str
    expected: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        match = _EXITS.search(self.text)
        return int(match.group(1)) if match else 0


def commands(path: Path) -> list[Command]:
    """The `$ ` commands of a Markdown file, each with the output shown under it."""
    text = path.read_text("utf-8")
    found: list[Command] = []
    for match in _FENCE.finditer(text):
        body = match.group(3)
        first_line = text.count("\n", 0, match.start(3)) + 1
        current: Command | None = None
        lines = body.split("\n")
        index = 0
        while index < len(lines):
            raw = lines[index]
            stripped = raw.strip()
            if stripped.startswith("$ "):
                command = stripped[2:]
                start = index
                while index + 1 < len(lines):
                    if command.endswith("\\"):  # a continuation line
                        command = command[:-1] + " " + lines[index + 1].strip()
                    elif not _complete(command):  # a quote spans lines
                        command = command + "\n" + lines[index + 1]
                    else:
                        break
                    index += 1
                if not command.split("#")[0].strip():  # `$ # a comment`
                    current = None
                    index += 1
                    continue
                current = Command(path.name, first_line + start, command)
                found.append(current)
            elif current is not None:
                current.expected.append(raw.rstrip())
            index += 1
    return found


def _complete(command: str) -> bool:
    try:
        shlex.split(command)
    except ValueError:
        return False
    return True


def skip_reason(command: str) -> str | None:
    if _PLACEHOLDER.search(command.split("#", maxsplit=1)[0]):
        return "has a <placeholder>"
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return None
    # each part of `a && b | c` is looked at
    parts: list[list[str]] = [[]]
    for word in words:
        if word in ("&&", "||", "|", ";"):
            parts.append([])
        else:
            parts[-1].append(word)
    for part in parts:
        if not part:
            continue
        program = part[0]
        if program in NOT_HERE:
            return f"{program} {NOT_HERE[program]}"
        if program == "make":
            targets = [w for w in part[1:] if not w.startswith("-") and "=" not in w]
            for target in targets or ["help"]:
                if target in MAKE_NOT_HERE:
                    return f"make {target} {MAKE_NOT_HERE[target]}"
            if any(w.startswith("ACCOUNT=") for w in part):
                return "make plan needs AWS"
        if program == "rolecat" and len(part) > 1 and part[1] in ROLECAT_NOT_HERE:
            return f"rolecat {part[1]} {ROLECAT_NOT_HERE[part[1]]}"
        if program == "git" and len(part) > 1 and part[1] == "clone":
            return "the scratch copy stands in for the clone"
        if shutil.which(program) is None and program not in ("cd", "rolecat"):
            return f"{program} is not installed here"
    return None


def matches_in_order(expected: list[str], actual: str) -> str | None:
    """None when every shown line appears in ``actual`` in order; else the first missing."""
    lines = [line.rstrip() for line in actual.splitlines()]
    position = 0
    for want in expected:
        if not want.strip() or "..." in want or "…" in want:
            continue
        try:
            position = lines.index(want, position) + 1
        except ValueError:
            return want
    return None


def scratch_copy(tmp: Path) -> Path:
    """This repository's tracked files (as in the work tree), committed in a fresh repo."""
    repo = tmp / "rolecat"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file() or name.startswith((".venv/", "build/")):
            continue
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (repo / ".venv").symlink_to(Path(sys.prefix))  # `make` finds rolecat where pytest runs
    git = ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.com"]
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "scratch"]):
        subprocess.run([*git, *step], cwd=repo, check=True, capture_output=True)
    return repo


def environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_", "MAKE"))}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        GIT_AUTHOR_NAME="docs",
        GIT_AUTHOR_EMAIL="docs@example.com",
        GIT_COMMITTER_NAME="docs",
        GIT_COMMITTER_EMAIL="docs@example.com",
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_doc(path: Path, tmp: Path) -> tuple[list[str], list[str], int]:
    """(failures, skipped, number run) for one Markdown file."""
    repo = scratch_copy(tmp)
    env = environment(tmp)
    cwd = repo
    for setup in _SETUP.findall(path.read_text("utf-8")):
        subprocess.run(["bash", "-c", setup], cwd=repo, env=env, check=True, capture_output=True)
    failures: list[str] = []
    skipped: list[str] = []
    ran = 0
    pwd_file = tmp / "pwd"
    unmade: set[str] = set()  # files that a skipped command would have written
    for command in commands(path):
        where = f"{command.doc}:{command.line}: $ {command.text}"
        reason = skip_reason(command.text)
        if reason is None:
            needs = sorted(
                f for f in unmade if re.search(rf"(?<![\w./-]){re.escape(f)}(?![\w.-])", command.text)
            )
            if needs:
                reason = f"needs {', '.join(needs)}, which a skipped command writes"
        if reason is not None:
            skipped.append(f"{where} ({reason})")
            unmade.update(re.findall(r"(?:^|\s)\d?>>?\s*([\w./-]+)", command.text))
            if command.text.startswith("git clone"):
                words = shlex.split(command.text, comments=True)
                name = words[-1] if len(words) > 3 else "rolecat"
                if name != repo.name:
                    (repo.parent / name).symlink_to(repo)
                cwd = repo.parent
            continue
        text = re.sub(r"^make(?=\s)", "make -o .venv/.installed", command.text)
        script = f'{text}\nstatus=$?\npwd > "{pwd_file}"\nexit $status\n'
        proc = subprocess.run(
            ["bash", "-c", script],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream, in the order the reader sees it
            text=True,
            timeout=300,
            check=False,
        )
        ran += 1
        if pwd_file.exists():
            cwd = Path(pwd_file.read_text().strip())
        output = proc.stdout
        if proc.returncode != command.exit_code:
            failures.append(
                f"{where}\n  exit {proc.returncode}, expected {command.exit_code}\n{output[-2000:]}"
            )
            continue
        missing = matches_in_order(command.expected, output)
        if missing is not None:
            failures.append(f"{where}\n  shown but not printed: {missing!r}\n  printed:\n{output[-3000:]}")
    return failures, skipped, ran


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_commands_in_doc_work_as_shown(path: Path, tmp_path: Path) -> None:
    if not commands(path):
        pytest.skip("no $ commands")
    failures, skipped, ran = run_doc(path, tmp_path)
    assert not failures, "\n\n".join(failures)
    if not ran:
        pytest.skip("every command needs something this machine lacks: " + "; ".join(skipped))


def test_the_docs_show_commands_that_run() -> None:
    runnable = [c for p in DOCS for c in commands(p) if skip_reason(c.text) is None]
    shown = {c.text.split()[0] for c in runnable}
    assert {"rolecat", "make", "git"} <= shown
    assert sum(c.text.startswith("rolecat ") for c in runnable) >= 5


def test_parser_reads_commands_outputs_and_continuations(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "text\n\n```console\n$ rolecat validate catalog\ncatalog: ok\n$ aws iam x \\\n    --y z\n```\n\n"
        "```\n$ make help   # exits 0\n```\n",
        encoding="utf-8",
    )
    found = commands(doc)
    assert [(c.line, c.text, c.expected) for c in found] == [
        (4, "rolecat validate catalog", ["catalog: ok"]),
        (6, "aws iam x  --y z", [""]),
        (11, "make help   # exits 0", [""]),
    ]
    assert skip_reason(found[1].text) == "aws needs AWS credentials"
    assert skip_reason("make test") == "make test is the test suite itself"
    assert skip_reason("rolecat profiles --user <you>") == "has a <placeholder>"
    assert skip_reason("cd build/terraform/security && terraform apply") is not None


def test_output_matching_is_ordered_and_strict() -> None:
    printed = "a\nb  \nc\n"
    assert matches_in_order(["a", "c"], printed) is None
    assert matches_in_order(["c", "a"], printed) == "a"
    assert matches_in_order(["b", "... anything"], printed) is None
    assert matches_in_order(["d"], printed) == "d"


def test_escalations_in_doc_snippets_do_not_expire_when_copied() -> None:
    """A `until:` shown in a YAML snippet is far in the future, so a reader who copies the
    snippet gets no E101 warning (and the example catalog uses the same kind of date)."""
    import datetime as dt

    from rolecat.model.timeutil import parse_instant

    horizon = dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)
    found = []
    for path in DOCS:
        for match in _FENCE.finditer(path.read_text("utf-8")):
            if match.group(2).strip() not in ("yaml", "yml"):
                continue
            for value in re.findall(r"^\s*until:\s*\"?([0-9][^\s\"#]*)", match.group(3), re.MULTILINE):
                found.append(value)
                assert parse_instant(value) > horizon, f"{path.name}: until: {value} expires soon"
    assert found


def test_a_command_reading_what_a_skipped_command_writes_is_skipped(tmp_path: Path) -> None:
    doc = tmp_path / "adopt.md"
    doc.write_text(
        "```console\n$ git clone <repository-url> rolecat\n$ cd rolecat\n"
        "$ aws iam get-account-authorization-details > prod.json\n"
        "$ rolecat drift prod=prod.json\n$ rolecat validate catalog\n```\n",
        encoding="utf-8",
    )
    failures, skipped, ran = run_doc(doc, tmp_path)
    assert failures == [] and ran == 2  # cd rolecat: the <placeholder> is not a redirect
    assert "needs prod.json, which a skipped command writes" in skipped[2]
