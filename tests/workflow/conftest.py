from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner
from workflow_factory import FAKE_TERRAFORM

from rolecat.cliargs import Group
from rolecat.workflow.command import register


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer(add_completion=False, cls=Group)  # rolecat's group: its usage errors

    @application.callback()
    def _root() -> None:  # a group, as in rolecat.cli, so commands are addressed by name
        pass

    register(application)
    return application


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A recording terraform first on PATH; returns the log file it appends to."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    target = bin_dir / "terraform"
    shutil.copy(FAKE_TERRAFORM, target)
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    log = tmp_path / "terraform.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_TERRAFORM_LOG", str(log))
    return log
