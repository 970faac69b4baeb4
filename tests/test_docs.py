"""The docs keep up with the code: every CLI command is documented in README.md or docs/*.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from disentangle.cli import main

ROOT = Path(__file__).resolve().parents[1]


def commands(command: click.Command = main, path: tuple[str, ...] = ()) -> Iterator[str]:
    """Every command a person can run, as typed after `disentangle`: groups and their subcommands."""
    if isinstance(command, click.Group):
        if command.invoke_without_command and path:
            yield " ".join(path)
        for name, sub in sorted(command.commands.items()):
            if not sub.hidden:
                yield from commands(sub, (*path, name))
    else:
        yield " ".join(path)


def docs_text() -> str:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


DOCS = docs_text()


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_cli_command_is_documented(command: str) -> None:
    assert re.search(rf"\bdisentangle {re.escape(command)}(?![\w-])", DOCS), (
        f"`disentangle {command}` appears in neither README.md nor docs/*.md"
    )


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_cli_command_has_help(command: str) -> None:
    found: click.Command = main
    for name in command.split():
        assert isinstance(found, click.Group)
        found = found.commands[name]
    assert (found.help or "").strip(), f"`disentangle {command}` has no help text"


def test_the_command_list_is_the_cli() -> None:
    listed = set(commands())
    assert {"cost", "assess", "request new", "letter resolution", "import ice-sheet"} <= listed
    assert "request" not in listed, "a group without a command of its own is not itself a command"
