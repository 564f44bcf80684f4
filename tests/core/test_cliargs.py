"""rolecat.cliargs: the command class every command uses reads each option that takes one
value at most once, and otherwise exactly as click does."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Annotated, Any

import pytest
import typer
import typer.main
from hypothesis import given
from hypothesis import strategies as st
from typer._click.exceptions import BadOptionUsage, BadParameter
from typer._click.types import IntRange

from rolecat.cliargs import MAX_DAYS, Command, WholeNumber


def _toy(
    name: Annotated[str | None, typer.Option("--name", "-n")] = None,
    flag: Annotated[bool, typer.Option("--flag/--no-flag", "-F/-N")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True)] = 0,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t")] = None,
    level: Annotated[int, typer.Option("--level", "-l")] = 0,
) -> None:
    del name, flag, verbose, tag, level


def _command(cls: type[Any] | None) -> Any:
    app = typer.Typer(add_completion=False)
    app.command(cls=cls)(_toy)
    return typer.main.get_command(app)


STRICT, CLICK = _command(Command), _command(None)

# Each option's ways of being written: (words, whether they are one occurrence of an option
# that takes one value, by its parameter's name); -vF is a counter and a flag in one word.
_WRITTEN: dict[str, list[list[str]]] = {
    "name": [["--name", "a"], ["-n", "b"], ["--name=c"], ["-nd"]],
    "flag": [["--flag"], ["--no-flag"], ["-F"], ["-N"]],
    "verbose": [["--verbose"], ["-v"], ["-vv"]],
    "tag": [["--tag", "x"], ["-t", "y"], ["--tag=z"]],
    "level": [["--level", "1"], ["-l", "2"], ["-l3"], ["--level=4"]],
}
_ONCE = {"name", "flag", "level"}


def _spelling(word: str) -> str:
    """The option a word names first: --name of --name=c, -n of -nd."""
    return word.split("=", maxsplit=1)[0] if word.startswith("--") else word[:2]


@given(st.lists(st.tuples(st.sampled_from(sorted(_WRITTEN)), st.integers(0, 3)), max_size=6))
def test_an_option_is_refused_exactly_when_it_is_given_twice_and_read_as_click_reads_it(
    picks: list[tuple[str, int]],
) -> None:
    args: list[str] = []
    given_once: set[str] = set()
    refused: str | None = None  # the word that gives an option the second time
    for param, way in picks:
        words = _WRITTEN[param][way % len(_WRITTEN[param])]
        if refused is None and param in _ONCE:
            if param in given_once:
                refused = _spelling(words[0])
            given_once.add(param)
        args += words
    if refused is None:
        assert STRICT.make_context("toy", list(args)).params == CLICK.make_context("toy", list(args)).params
        return
    with pytest.raises(BadOptionUsage) as caught:
        STRICT.make_context("toy", list(args))
    assert caught.value.option_name == refused
    assert caught.value.message.startswith(f"{refused} is given more than once")
    assert caught.value.message.endswith(": give it once")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-n", "a", "-n", "b"], "-n is given more than once: give it once"),
        (["-n", "a", "--name=b"], "--name is given more than once (first as -n): give it once"),
        (["--flag", "--no-flag"], "--no-flag is given more than once (first as --flag): give it once"),
        (["-FN"], "-N is given more than once (first as -F): give it once"),
        (["--level", "1", "-vl2"], "-l is given more than once (first as --level): give it once"),
    ],
)
def test_the_refusal_names_the_option_as_written(args: list[str], message: str) -> None:
    with pytest.raises(BadOptionUsage, match=f"^{re.escape(message)}$"):
        STRICT.make_context("toy", args)


def test_options_that_repeat_still_do() -> None:
    params = STRICT.make_context("toy", ["-t", "a", "--tag", "b", "-vv", "--verbose"]).params
    assert (params["tag"], params["verbose"]) == (("a", "b"), 3)


@pytest.mark.parametrize("args", [["--help", "--help"], ["--help", "-n", "a", "--help"]])
def test_the_help_option_given_twice_shows_the_help(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """git and click show the help for a help flag given twice; every other option is
    still refused a second time (above)."""
    with pytest.raises(typer.Exit) as caught:
        STRICT.make_context("toy", args)
    assert caught.value.exit_code == 0
    assert "Usage: toy [OPTIONS]" in capsys.readouterr().out


_WALK = """
import sys
sys.argv = ["rolecat", "--help"]  # every command registered, as for --help
import typer.main
from rolecat import cli
from rolecat.cliargs import Command, Group, WholeNumber
from typer._click.types import IntParamType
cli._register_plugins()
def walk(command, path):
    for name, sub in command.commands.items():
        print(path + name, isinstance(sub, (Command, Group)))
        for param in sub.params:  # every integer option reads digits 0-9 only
            if isinstance(param.type, IntParamType):
                print(path + name, param.opts[0], isinstance(param.type, WholeNumber))
        if hasattr(sub, "commands"):
            walk(sub, path + name + " ")
group = typer.main.get_command(cli.app)
print("rolecat", isinstance(group, Group))
walk(group, "")
"""


def test_every_command_and_group_is_rolecat_s() -> None:
    """Each command registered on the app, core and the other packages', reads each option
    once, and each integer option in digits 0-9: a command added without ``cls=Command``,
    or an ``int`` option without ``click_type=WholeNumber(...)``, fails here."""
    out = subprocess.run([sys.executable, "-c", _WALK], capture_output=True, text=True, check=True).stdout
    found = dict(line.rsplit(" ", 1) for line in out.splitlines())
    assert {
        "rolecat",
        "validate",
        "profiles",
        "request",
        "scopedown",
        "drift",
        "usage",
        "user",
        "user add",
    } <= set(found)
    assert [name for name, ours in found.items() if ours != "True"] == []


_OTHER_DIGITS = st.characters(categories=["Nd", "No"]).filter(lambda c: not c.isascii())
_NUMBERS = st.one_of(
    st.text(max_size=8),
    st.from_regex(r"[-+ ]?[0-9_]{1,7}\s?", fullmatch=True),
    st.lists(st.one_of(st.sampled_from("0123456789"), _OTHER_DIGITS), min_size=1, max_size=6).map("".join),
)


@given(
    text=_NUMBERS, bounds=st.sampled_from([(1, MAX_DAYS), (0, MAX_DAYS), (900, None), (None, None), (-5, 5)])
)
def test_an_integer_option_takes_exactly_the_numbers_in_digits_0_to_9(
    text: str, bounds: tuple[int | None, int | None]
) -> None:
    """click's int() read '٣' (Arabic-Indic three) or '３' (full-width) as 3, '+3', ' 3' and
    '3_0' too: WholeNumber takes digits 0-9 (a leading - where the range has negative
    numbers), to the value click gave them, and refuses the rest saying what it takes."""
    ours, before = WholeNumber(*bounds), IntRange(*bounds)
    plain = re.fullmatch("-?[0-9]+" if bounds[0] is None or bounds[0] < 0 else "[0-9]+", text) is not None
    try:
        value = ours.convert(text, None, None)
    except BadParameter as exc:
        if plain:  # out of range, as before
            with pytest.raises(BadParameter):
                before.convert(text, None, None)
        else:
            assert "is not a whole number written in digits 0-9" in exc.message
        return
    assert plain and value == before.convert(text, None, None)
    assert ours.convert(value, None, None) == value  # a default, already a number
