"""``-c CMD``: the argv a session runs for a command line.

A plain command line (words and quotes only) is split like a shell would and
run directly, so an image without a shell still runs it. One that needs a
shell (operators, redirections, expansions, globs, assignments, a builtin
such as ``exit`` or ``cd`` as the command) runs as
``/bin/sh -c CMD``. Either way the exit status is the command's.
"""

from __future__ import annotations

import shlex

from kanibako.errors import CliError

SHELL = "/bin/sh"
# Outside quotes, any of these makes the line shell syntax: control and
# redirection operators, subshells, expansions, globs, line breaks.
_SPECIAL = frozenset(";&|<>()$`*?[\n")
# Special only where a word starts: a comment, tilde expansion, negation,
# reserved braces.
_SPECIAL_AT_WORD_START = frozenset("#~!{}")
# Builtins and reserved words with no executable of the same name: as the
# command word they need the shell (``-c 'exit 7'``).
_SHELL_WORDS = frozenset({
    ".", ":", "alias", "break", "case", "cd", "continue", "do", "done", "elif", "else",
    "esac", "eval", "exec", "exit", "export", "fi", "for", "function", "if", "readonly",
    "return", "select", "set", "shift", "source", "then", "times", "trap", "ulimit",
    "umask", "unalias", "unset", "until", "wait", "while",
})  # fmt: skip


def command_argv(command: str) -> list[str]:
    """The container argv for ``-c command``; CliError (exit 2) for an empty or unsplittable one."""
    if not command.strip():
        raise CliError("-c needs a command")
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise CliError(f"-c: cannot split {command!r}: {exc}") from None
    if argv[0] in _SHELL_WORDS or needs_shell(command):
        return [SHELL, "-c", command]
    return argv


def needs_shell(command: str) -> bool:
    """Whether ``command`` uses anything beyond words, quotes and backslashes."""
    quote = ""
    escaped = False
    word_start = True
    first_word = True
    for char in command:
        if escaped:
            escaped = False
            word_start = False
        elif quote == "'":
            quote = "" if char == "'" else quote
        elif char == "\\":
            escaped = True
        elif quote == '"':
            if char in "$`":  # still expanded inside double quotes
                return True
            quote = "" if char == '"' else quote
        elif char in " \t":
            first_word = first_word and word_start
            word_start = True
        elif char in _SPECIAL or (word_start and char in _SPECIAL_AT_WORD_START):
            return True
        elif char == "=" and first_word:
            return True  # NAME=value before the command: an assignment
        else:
            quote = char if char in "'\"" else ""
            word_start = False
    return False
