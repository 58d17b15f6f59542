"""``-c CMD``: run directly when it is a plain command line, through /bin/sh when it needs one."""

from __future__ import annotations

import pytest

from kanibako.session.command_line import command_argv


@pytest.mark.parametrize(
    "command",
    [
        "git --version && python3 --version",
        "false || exit 3",
        "a; b",
        "ls | wc -l",
        "echo hi > out",
        "cat < in",
        "echo $HOME",
        'echo "$HOME"',
        "echo `date`",
        "ls *.py",
        "ls file?",
        "ls [ab]",
        "cd ~",
        "sleep 1 &",
        "(cd x)",
        "FOO=bar env",
        "echo a\necho b",
        "! false",
        "exit 7",
        "cd sub",
        "export A=1",
    ],
)
def test_shell_syntax_runs_through_sh(command: str) -> None:
    assert command_argv(command) == ["/bin/sh", "-c", command]


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("true", ["true"]),
        ("git --version", ["git", "--version"]),
        ("printf '%s|' 'a b' \"c  d\"", ["printf", "%s|", "a b", "c  d"]),
        ("sh -c 'exit 4'", ["sh", "-c", "exit 4"]),
        ("echo 'a && b; $x *'", ["echo", "a && b; $x *"]),
        ("echo a\\ b", ["echo", "a b"]),
        ("env X=1 true", ["env", "X=1", "true"]),
        ("echo a#b", ["echo", "a#b"]),
    ],
)
def test_a_plain_command_line_is_split_and_run_directly(command: str, argv: list[str]) -> None:
    assert command_argv(command) == argv
