"""`rolecat profiles --write [FILE]`: one marked block in the AWS config file, replaced in
place; every other byte kept; no write at all when nothing changed."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rolecat.workflow import managedblock as mb

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "catalog"


def rolecat(
    *args: str, config: Path | None = None, home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_CONFIG_FILE"}
    if config is not None:
        env["AWS_CONFIG_FILE"] = str(config)
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "rolecat", "profiles", str(CATALOG), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def sections(path: Path) -> list[str]:
    parser = configparser.RawConfigParser(strict=True)  # a duplicate section raises, as in botocore
    parser.read_string(path.read_text("utf-8"))
    return parser.sections()


# --------------------------------------------------------------------------- the block


def test_append_to_a_file_without_block_keeps_its_bytes() -> None:
    old = "[default]\nregion = eu-west-1"  # no final newline
    new = mb.splice(old, "[profile a]\nregion = x\n")
    assert new.changed and not new.replaced
    assert new.text.startswith(old + "\n\n" + mb.BEGIN + "\n")
    assert new.text.endswith("region = x\n" + mb.END + "\n")


def test_replace_keeps_everything_else_and_crlf() -> None:
    before, after = "[default]\r\nregion = x\r\n\r\n", "\r\n[profile mine]\r\nregion = y"
    first = mb.splice(before + after, "[profile a]\nk = 1\n").text
    assert first.startswith(before + after)
    assert "\n" not in first.replace("\r\n", "")  # the block took the file's CRLF
    inserted = before + mb.splice("", "[profile a]\nk = 1\n").text.replace("\n", "\r\n") + after
    second = mb.splice(inserted, "[profile b]\nk = 2\n")
    assert second.replaced
    assert second.text.startswith(before) and second.text.endswith(after)
    assert "[profile a]" not in second.text and "[profile b]\r\nk = 2\r\n" in second.text


def test_empty_file_gets_just_the_block() -> None:
    assert mb.splice("", "x\n").text == f"{mb.BEGIN}\nx\n{mb.END}\n"


@pytest.mark.parametrize(
    "text",
    [
        f"{mb.BEGIN}\nx\n",  # begin without end
        f"x\n{mb.END}\n",  # end without begin
        f"{mb.END}\n{mb.BEGIN}\n",  # end first
        f"{mb.BEGIN}\n{mb.END}\n{mb.BEGIN}\n{mb.END}\n",  # two blocks
    ],
)
def test_ambiguous_markers_are_refused(text: str) -> None:
    with pytest.raises(mb.BlockError, match=r"ambiguous .*line [12]"):
        mb.splice(text, "y\n")


_LINE = st.text(st.sampled_from("[]=; abc\t#é"), max_size=12)
_TEXT = st.lists(_LINE, max_size=6).map("\n".join)


@given(prefix=_TEXT, suffix=_TEXT, body=_TEXT, body2=_TEXT)
def test_splice_is_idempotent_and_keeps_the_rest(prefix: str, suffix: str, body: str, body2: str) -> None:
    once = mb.splice(prefix + "\n" + suffix, body).text
    assert mb.splice(once, body).text == once
    assert not mb.splice(once, body).changed
    # a second splice with other content changes only the block
    twice = mb.splice(once, body2).text
    start, stop = mb.find_block(once) or (0, 0)
    lines, lines2 = once.splitlines(keepends=True), twice.splitlines(keepends=True)
    assert lines[:start] == lines2[:start]
    assert lines[stop:] == lines2[len(lines2) - (len(lines) - stop) :]


# --------------------------------------------------------------------------- the command


def test_write_twice_is_valid_ini_and_the_second_run_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "aws" / "config"
    first = rolecat("--user", "alice", "--write", config=config)
    assert first.returncode == 0, first.stderr
    assert config.stat().st_mode & 0o777 == 0o600
    assert "profile prod-Admin" in sections(config)
    os.utime(config, ns=(1_000_000_000, 1_000_000_000))
    inode = config.stat().st_ino
    second = rolecat("--user", "alice", "--write", config=config)
    assert second.returncode == 0, second.stderr
    assert "is up to date" in second.stderr
    assert config.stat().st_mtime_ns == 1_000_000_000 and config.stat().st_ino == inode
    assert sections(config).count("profile prod-Admin") == 1


def test_output_does_not_depend_on_the_clock() -> None:
    a = rolecat("--user", "alice", "--now", "2026-12-01")
    b = rolecat("--user", "alice", "--now", "2026-12-02T13:14:15Z")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout


def test_existing_config_kept_byte_for_byte(tmp_path: Path) -> None:
    config = tmp_path / "config"
    head = b"[default]\r\nregion = eu-west-1\r\n; my comment \xc3\xa9\r\n"
    tail = b"\r\n[profile mine]\r\nregion = us-east-2\r\n"
    config.write_bytes(head + tail)
    config.chmod(0o640)
    assert rolecat("--user", "alice", "--write", str(config)).returncode == 0
    once = config.read_bytes()
    assert once.startswith(head + tail)
    # the block moves nowhere; what the user adds after it stays after it
    config.write_bytes(once + b"[profile later]\r\nregion = x\r\n")
    assert rolecat("--user", "bob", "--write", str(config)).returncode == 0
    bob = config.read_bytes()
    assert bob.startswith(head + tail) and bob.endswith(b"[profile later]\r\nregion = x\r\n")
    assert b"mfa/bob" in bob and b"mfa/alice" not in bob
    assert config.stat().st_mode & 0o777 == 0o640
    assert set(sections(config)) >= {"default", "profile mine", "profile later"}


def test_default_file_is_home_aws_config(tmp_path: Path) -> None:
    result = rolecat("--user", "alice", "--write", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".aws" / "config").is_file()


def test_bare_write_before_another_option(tmp_path: Path) -> None:
    config = tmp_path / "config"
    result = rolecat("--write", "--user", "alice", config=config)
    assert result.returncode == 0, result.stderr
    assert config.is_file() and result.stdout == ""


def test_symlinked_config_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "aws-config"
    real.parent.mkdir()
    real.write_text("[default]\n", encoding="utf-8")
    link = tmp_path / "config"
    link.symlink_to(real)
    assert rolecat("--user", "alice", "--write", config=link).returncode == 0
    assert link.is_symlink() and mb.BEGIN in real.read_text("utf-8")


def test_profile_defined_outside_the_block_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile prod-Admin]\nregion = x\n", encoding="utf-8")
    result = rolecat("--user", "alice", "--write", config=config)
    assert result.returncode == 1
    assert f"{config}:1: [profile prod-Admin]" in result.stderr
    assert config.read_text("utf-8") == "[profile prod-Admin]\nregion = x\n"


@pytest.mark.parametrize(
    "header",
    [
        '[profile  "prod-Admin"]',
        "  [ profile prod-Admin ]  ",
        "[profile 'prod-Admin'] ; mine",
        "[profile\tprod-Admin]",
    ],
)
def test_a_profile_botocore_reads_as_the_same_name_is_refused(tmp_path: Path, header: str) -> None:
    """botocore takes a profile's name with shlex (quotes and blanks go): a header written
    otherwise that names the same profile would override rolecat's without an error."""
    import botocore.configloader

    config = tmp_path / "config"
    config.write_text(f"{header}\nregion = x\n", encoding="utf-8")
    named = botocore.configloader.raw_config_parse(str(config))
    assert "prod-Admin" in botocore.configloader.build_profile_map(named)["profiles"] or header.startswith(
        "  [ "
    )
    result = rolecat("--user", "alice", "--write", config=config)
    if header.startswith("  [ "):  # " profile ..." starts with a blank: no profile to botocore
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 1, result.stderr
    assert f"{config}:1: {header.strip()}" in result.stderr
    assert config.read_text("utf-8") == f"{header}\nregion = x\n"


def test_ambiguous_markers_write_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(f"{mb.BEGIN}\n[profile x]\n", encoding="utf-8")
    result = rolecat("--user", "alice", "--write", config=config)
    assert result.returncode == 1 and "ambiguous" in result.stderr
    assert config.read_text("utf-8") == f"{mb.BEGIN}\n[profile x]\n"


def test_a_body_holding_a_marker_is_refused() -> None:
    with pytest.raises(mb.BlockError, match="marker"):
        mb.splice("", f"x\n{mb.END}\ny\n")
