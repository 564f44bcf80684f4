from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rolecat.access.command import register
from rolecat.cliargs import Group

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "iam"))  # the IAM tests' catalog factory


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer(add_completion=False, cls=Group)  # rolecat's group: its usage errors

    @application.callback()
    def _root() -> None:  # a group, as in rolecat.cli
        pass

    register(application)
    return application


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
